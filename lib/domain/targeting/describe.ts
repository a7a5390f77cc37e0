import type { Constraint, Segment, Strategy } from "./model";

/** Targeting in words, for the approval form, gates and the audit log ("Staff (email ends with @acme.com), 10 % by user id"). */

const list = (values: readonly string[]) =>
  values.length <= 3 ? values.join(", ") : `${values.slice(0, 3).join(", ")} and ${values.length - 3} more`;

const PHRASES: Record<Constraint["operator"], string> = {
  IN: "is",
  NOT_IN: "is not",
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
  SEMVER_GTE: "is version",
  SEMVER_LT: "is a version before",
  SEMVER_LTE: "is version",
  REGEX: "matches",
  IN_CIDR: "is in",
};

export function describeConstraint(c: Constraint): string {
  const field = c.operator.startsWith("DATE_") ? "the time" : c.contextName;
  const many = (c.values ?? []).length > 1;
  let what: string;
  if (c.operator === "IN" || c.operator === "NOT_IN")
    what = `${PHRASES[c.operator]}${many ? (c.operator === "IN" ? " one of" : " any of") : ""} ${list(c.values ?? [])}`;
  else if (c.values) what = `${PHRASES[c.operator]} ${many ? "any of " : ""}${list(c.values)}`;
  else if (c.operator === "REGEX") what = `matches /${c.value ?? ""}/`;
  else
    what = `${PHRASES[c.operator]} ${c.value ?? ""}${c.operator === "SEMVER_GTE" ? " or later" : c.operator === "SEMVER_LTE" ? " or earlier" : ""}`;
  const text = `${field} ${what}${c.caseInsensitive ? " (any case)" : ""}`;
  return c.inverted ? `not (${text})` : text;
}

export const describeSegment = (s: Segment) =>
  s.constraints.length ? `${s.name} (${s.constraints.map(describeConstraint).join(" and ")})` : `${s.name} (everyone)`;

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
