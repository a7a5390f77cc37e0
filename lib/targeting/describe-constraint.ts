import type { Constraint, ConstraintOperator } from "../domain/targeting/model";

/**
 * Constraints in words, for people: "email ends with @acme.com", "appVersion is not at least 2.0.0".
 * No I/O and no Node modules, so client components use it too (the constraint editor's operator
 * list, the segments page, later the approval form's audience).
 */
export const OPERATOR_LABELS: Record<ConstraintOperator, string> = {
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

export function describeConstraint(c: Constraint): string {
  const operand = c.values ? either(c.values) : (c.value ?? "");
  const text = `${c.contextName} ${OPERATOR_LABELS[c.operator] ?? c.operator} ${operand}`;
  const suffix = c.caseInsensitive ? " (any case)" : "";
  return c.inverted ? `not (${text}${suffix})` : `${text}${suffix}`;
}

/** A segment's audience in words: its constraints joined by "and". */
export function describeConstraints(constraints: readonly Constraint[]): string {
  return constraints.length ? constraints.map(describeConstraint).join(" and ") : "everyone";
}
