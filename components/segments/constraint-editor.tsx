"use client";

import { CONSTRAINT_OPERATORS, STANDARD_CONTEXT_FIELDS, type ConstraintOperator } from "@/lib/domain/targeting/model";
import { OPERATOR_LABELS } from "@/lib/targeting/describe-constraint";
import { Button } from "../ui/button";
import { Checkbox, Field, Select, TextInput } from "../ui/field";
import { caseOperators, emptyDraft, isListOperator, type ConstraintDraft } from "./constraint-drafts";
import { FormError } from "@/components/ui/form-message";

const HINTS: Partial<Record<string, string>> = {
  NUM: "a number",
  DATE: "an ISO date, e.g. 2026-12-31T00:00:00Z",
  SEMVER: "a version, e.g. 2.1.0",
  REGEX: "a regular expression, at most 200 characters",
};

function valueHint(operator: ConstraintOperator): string {
  if (operator === "IN_CIDR") return "IP ranges, e.g. 10.0.0.0/8, separated by commas";
  if (isListOperator(operator)) return "separate values with commas";
  return HINTS[operator.split("_")[0]!] ?? HINTS[operator] ?? "";
}

/** The first message for `path` or anything under it (`constraints.0.values.2` shows on the values field). */
function errorAt(errors: Record<string, string> | undefined, path: string): string | undefined {
  if (!errors) return undefined;
  return errors[path] ?? Object.entries(errors).find(([k]) => k.startsWith(`${path}.`))?.[1];
}

/**
 * An ordered list of constraints, all of which must match: the context field (a standard one or any
 * property), the operator, its value or values, and "not" / "any case". Errors come keyed as the
 * API names them (`<fieldPrefix>.<i>.<field>`), so the segment form and a strategy editor can both
 * pass the server's messages straight through.
 */
export function ConstraintEditor({
  drafts,
  onChange,
  errors,
  fieldPrefix = "constraints",
  idPrefix = "constraint",
}: {
  drafts: ConstraintDraft[];
  onChange: (drafts: ConstraintDraft[]) => void;
  errors?: Record<string, string>;
  fieldPrefix?: string;
  idPrefix?: string;
}) {
  const update = (i: number, change: Partial<ConstraintDraft>) => onChange(drafts.map((d, j) => (j === i ? { ...d, ...change } : d)));
  const listError = errors?.[fieldPrefix];
  return (
    <div className="space-y-3">
      <datalist id={`${idPrefix}-fields`}>
        {[...STANDARD_CONTEXT_FIELDS, "email", "tenant", "country", "appVersion"].map((f) => (
          <option key={f} value={f} />
        ))}
      </datalist>
      {drafts.map((d, i) => {
        const at = (field: string) => errorAt(errors, `${fieldPrefix}.${i}.${field}`);
        const list = isListOperator(d.operator);
        return (
          <fieldset key={d.id} className="rounded-md border border-slate-200 p-3" data-testid={`${idPrefix}-${i}`}>
            <legend className="px-1 text-xs font-medium text-slate-500">{i === 0 ? "Constraint 1" : `and constraint ${i + 1}`}</legend>
            <div className="grid gap-3 md:grid-cols-2 lg:grid-cols-[11rem_19rem_minmax(0,1fr)]">
              <Field label="Context field" error={at("contextName")}>
                <TextInput
                  value={d.contextName}
                  onChange={(e) => update(i, { contextName: e.target.value })}
                  list={`${idPrefix}-fields`}
                  placeholder="email"
                  autoComplete="off"
                  invalid={!!at("contextName")}
                />
              </Field>
              <Field label="Operator" error={at("operator")}>
                <Select
                  value={d.operator}
                  onChange={(e) => update(i, { operator: e.target.value as ConstraintOperator })}
                  invalid={!!at("operator")}
                >
                  {CONSTRAINT_OPERATORS.map((op) => (
                    <option key={op} value={op}>
                      {OPERATOR_LABELS[op]} ({op})
                    </option>
                  ))}
                </Select>
              </Field>
              {/* Beside the others on a wide screen; under them, full width, on a tablet. */}
              <div className="md:col-span-2 lg:col-span-1">
                {list ? (
                  <Field label="Values" error={at("values")} hint={valueHint(d.operator)}>
                    <TextInput
                      value={d.values}
                      onChange={(e) => update(i, { values: e.target.value })}
                      placeholder={d.operator === "IN_CIDR" ? "10.0.0.0/8" : "@acme.com"}
                      autoComplete="off"
                      invalid={!!at("values")}
                    />
                  </Field>
                ) : (
                  <Field label="Value" error={at("value")} hint={valueHint(d.operator)}>
                    <TextInput
                      value={d.value}
                      onChange={(e) => update(i, { value: e.target.value })}
                      autoComplete="off"
                      invalid={!!at("value")}
                    />
                  </Field>
                )}
              </div>
            </div>
            <div className="mt-3 flex flex-wrap items-center gap-x-5 gap-y-2">
              <Checkbox label="Not (invert)" checked={d.inverted} onChange={(e) => update(i, { inverted: e.target.checked })} />
              {caseOperators.has(d.operator) ? (
                <Checkbox label="Any case" checked={d.caseInsensitive} onChange={(e) => update(i, { caseInsensitive: e.target.checked })} />
              ) : null}
              <Button
                type="button"
                variant="secondary"
                className="ml-auto px-2 py-1 text-xs"
                onClick={() => onChange(drafts.filter((_, j) => j !== i))}
                aria-label={`Remove constraint ${i + 1}`}
              >
                Remove
              </Button>
            </div>
          </fieldset>
        );
      })}
      {listError ? <FormError>{listError}</FormError> : null}
      <Button type="button" variant="secondary" onClick={() => onChange([...drafts, emptyDraft()])}>
        Add constraint
      </Button>
    </div>
  );
}
