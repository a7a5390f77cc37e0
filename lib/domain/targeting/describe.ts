import type { Constraint, Segment, Strategy } from "./model";

/** Targeting in words, for the approval form, gates and the audit log ("Staff (email ends with @acme.com), 10 % by user id"). */

/** Operator names as people read them; the constraint editor lists them too (lib/targeting/describe-constraint.ts). */
export const OPERATOR_LABELS: Record<Constraint["operator"], string> = {
  IN: "is one of",
  NOT_IN: "is not one of",
  STR_CONTAINS: "contains",
  STR_STARTS_WITH: "starts with",
  STR_ENDS_WITH: "ends with",
  NUM_EQ: "=",
  NUM_GT: ">",
  NUM_GTE: "≥",
  NUM_LT: "<",
  NUM_LTE: "≤",
  DATE_AFTER: "is after",
  DATE_BEFORE: "is before",
  SEMVER_EQ: "is version",
  SEMVER_GT: "is a version after",
  SEMVER_GTE: "is at least version",
  SEMVER_LT: "is a version before",
  SEMVER_LTE: "is at most version",
  REGEX: "matches",
  IN_CIDR: "is in the IP range",
};

/** How a list reads: "a", "a or b", "a, b or c", and "a, b, c or 7 more" past four. */
function either(values: readonly string[]): string {
  if (values.length <= 1) return values[0] ?? "";
  const shown = values.length > 4 ? [...values.slice(0, 3), `${values.length - 3} more`] : [...values];
  return `${shown.slice(0, -1).join(", ")} or ${shown.at(-1)}`;
}

/** "email ends with @acme.com (any case)", "not (tenant is one of a or b)"; DATE_* read the current time, whatever the field. */
export function describeConstraint(c: Constraint): string {
  const field = c.operator.startsWith("DATE_") ? "the time" : c.contextName;
  const operand = c.values ? either(c.values) : c.operator === "REGEX" ? `/${c.value ?? ""}/` : (c.value ?? "");
  const text = `${field} ${OPERATOR_LABELS[c.operator] ?? c.operator} ${operand}${c.caseInsensitive ? " (any case)" : ""}`;
  return c.inverted ? `not (${text})` : text;
}

/** Constraints that must all match, in words: "email ends with @acme.com and tenant is acme" ("everyone" for none). */
export const describeConstraints = (constraints: readonly Constraint[]) =>
  constraints.length ? constraints.map(describeConstraint).join(" and ") : "everyone";

export const describeSegment = (s: Segment) => `${s.name} (${describeConstraints(s.constraints)})`;

const STICKY: Record<string, string> = { default: "user or session", userId: "user id", sessionId: "session id", random: "chance" };

/** One strategy's audience: its segments, constraints and percentage. A missing segment is said. */
export function describeStrategy(s: Strategy, segments: Readonly<Record<string, Segment>> = {}): string {
  const parts = [
    ...s.segments.map((id) => {
      const seg = segments[String(id)];
      return seg ? describeSegment(seg) : `segment ${id} (missing: matches no one)`;
    }),
    ...s.constraints.map(describeConstraint),
  ];
  const who = parts.length ? parts.join(" and ") : "everyone";
  if (s.rollout >= 100) return who;
  if (s.rollout <= 0) return `no one (0 % of ${who})`;
  return `${s.rollout} % of ${who}, by ${STICKY[s.stickiness] ?? s.stickiness}`;
}
