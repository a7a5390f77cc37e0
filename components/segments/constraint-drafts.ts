import { CONSTRAINT_OPERATORS, LIST_OPERATORS, type Constraint, type ConstraintOperator } from "@/lib/domain/targeting/model";

/**
 * A constraint as the editor holds it while someone types: a list operator's values as one text
 * (commas or new lines between them), every field a string or a boolean. `toConstraintInput` turns it
 * into what the API's schema reads, so the server's messages land on the same fields.
 */
export interface ConstraintDraft {
  /** Stable across edits, for React keys; never sent. */
  id: number;
  contextName: string;
  operator: ConstraintOperator;
  values: string;
  value: string;
  inverted: boolean;
  caseInsensitive: boolean;
}

let nextId = 1;

export function emptyDraft(): ConstraintDraft {
  return { id: nextId++, contextName: "", operator: "IN", values: "", value: "", inverted: false, caseInsensitive: false };
}

export function toDraft(c: Constraint): ConstraintDraft {
  return {
    id: nextId++,
    contextName: c.contextName,
    operator: (CONSTRAINT_OPERATORS as readonly string[]).includes(c.operator) ? c.operator : "IN",
    values: (c.values ?? []).join(", "),
    value: c.value ?? "",
    inverted: c.inverted ?? false,
    caseInsensitive: c.caseInsensitive ?? false,
  };
}

export const isListOperator = (operator: ConstraintOperator) => LIST_OPERATORS.has(operator);

/** Operators where "any case" means something (Unleash: the string operators and REGEX). */
export const caseOperators: ReadonlySet<ConstraintOperator> = new Set(["STR_CONTAINS", "STR_STARTS_WITH", "STR_ENDS_WITH", "REGEX"]);

export function toConstraintInput(d: ConstraintDraft): Record<string, unknown> {
  const list = isListOperator(d.operator);
  return {
    contextName: d.contextName,
    operator: d.operator,
    ...(list
      ? {
          values: d.values
            .split(/[\n,]/)
            .map((v) => v.trim())
            .filter(Boolean),
        }
      : { value: d.value }),
    ...(d.inverted ? { inverted: true } : {}),
    ...(d.caseInsensitive && caseOperators.has(d.operator) ? { caseInsensitive: true } : {}),
  };
}
