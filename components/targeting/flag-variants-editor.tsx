"use client";

import type { PayloadType } from "@/lib/domain/targeting/model";
import { Button } from "../ui/button";
import { ListError, RemoveRowButton } from "./list-controls";
import { Field, Select, TextInput } from "../ui/field";
import { emptyVariant, type VariantDraft } from "./flag-variant-drafts";

const PAYLOADS: [PayloadType | "", string][] = [
  ["", "None"],
  ["string", "Text"],
  ["number", "Number"],
  ["json", "JSON"],
  ["csv", "CSV"],
];

const errorAt = (errors: Record<string, string>, path: string) =>
  errors[path] ?? Object.entries(errors).find(([k]) => k.startsWith(`${path}.`))?.[1];

/** The flag's variants: name, relative weight, and an optional typed payload, served to whoever gets the flag. */
export function FlagVariantsEditor({
  drafts,
  onChange,
  errors,
}: {
  drafts: VariantDraft[];
  onChange: (drafts: VariantDraft[], structural?: boolean) => void;
  errors: Record<string, string>;
}) {
  const update = (id: number, change: Partial<VariantDraft>) => onChange(drafts.map((d) => (d.id === id ? { ...d, ...change } : d)));
  const total = drafts.reduce((sum, d) => sum + (/^\d+$/.test(d.weight.trim()) ? Number(d.weight) : 0), 0);
  return (
    <fieldset className="min-w-0 space-y-3 rounded-md border border-slate-200 p-3" data-testid="flag-variants">
      <legend className="px-1 text-xs font-medium text-slate-500">Variants (optional)</legend>
      <p className="text-xs text-slate-500">Whoever gets the flag gets one of these, by weight.</p>
      {drafts.map((d, i) => {
        const at = (field: string) => errorAt(errors, `targeting.variants.${i}.${field}`);
        return (
          <div
            key={d.id}
            className="grid gap-3 border-b border-slate-100 pb-3 sm:grid-cols-[minmax(0,1fr)_6rem_8rem] lg:grid-cols-[12rem_6rem_8rem_minmax(0,1fr)_auto]"
            data-testid={`variant-${i}`}
          >
            <Field label="Variant name" error={at("name")}>
              <TextInput
                value={d.name}
                onChange={(e) => update(d.id, { name: e.target.value })}
                placeholder="blue"
                autoComplete="off"
                invalid={!!at("name")}
              />
            </Field>
            <Field
              label="Weight"
              error={at("weight")}
              hint={total > 0 && /^\d+$/.test(d.weight.trim()) ? `${Math.round((Number(d.weight) / total) * 1000) / 10} %` : undefined}
            >
              <TextInput
                inputMode="numeric"
                value={d.weight}
                onChange={(e) => update(d.id, { weight: e.target.value })}
                invalid={!!at("weight")}
                className="text-right"
              />
            </Field>
            <Field label="Payload" error={at("payload.type")}>
              <Select value={d.payloadType} onChange={(e) => update(d.id, { payloadType: e.target.value as PayloadType | "" })}>
                {PAYLOADS.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </Select>
            </Field>
            {d.payloadType ? (
              <Field label="Payload value" error={at("payload.value") ?? at("payload")}>
                <TextInput
                  value={d.payloadValue}
                  onChange={(e) => update(d.id, { payloadValue: e.target.value })}
                  autoComplete="off"
                  invalid={!!at("payload.value")}
                  className="font-mono"
                />
              </Field>
            ) : (
              <div className="hidden lg:block" />
            )}
            <div className="flex items-start lg:pt-6">
              <RemoveRowButton
                label={`Remove variant ${i + 1}`}
                onRemove={() =>
                  onChange(
                    drafts.filter((x) => x.id !== d.id),
                    true,
                  )
                }
              />
            </div>
          </div>
        );
      })}
      <ListError message={errors["targeting.variants"]} />
      <Button type="button" variant="secondary" onClick={() => onChange([...drafts, emptyVariant()], true)}>
        Add variant
      </Button>
    </fieldset>
  );
}
