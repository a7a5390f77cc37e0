"use client";

import { Button } from "../ui/button";
import { ListError, RemoveRowButton } from "./list-controls";
import { Checkbox, Field, TextInput } from "../ui/field";
import { emptyDependency, type DependencyDraft } from "./flag-variant-drafts";

const errorAt = (errors: Record<string, string>, path: string) =>
  errors[path] ?? Object.entries(errors).find(([k]) => k.startsWith(`${path}.`))?.[1];

/** Flags this one depends on: the parent must be on (or off), optionally with one of its variants. */
export function DependenciesEditor({
  drafts,
  onChange,
  errors,
}: {
  drafts: DependencyDraft[];
  onChange: (drafts: DependencyDraft[], structural?: boolean) => void;
  errors: Record<string, string>;
}) {
  const update = (id: number, change: Partial<DependencyDraft>) => onChange(drafts.map((d) => (d.id === id ? { ...d, ...change } : d)));
  return (
    <fieldset className="min-w-0 space-y-3 rounded-md border border-slate-200 p-3" data-testid="dependencies">
      <legend className="px-1 text-xs font-medium text-slate-500">Depends on (optional)</legend>
      <p className="text-xs text-slate-500">Off unless every parent flag agrees.</p>
      {drafts.map((d, i) => {
        const at = (field: string) => errorAt(errors, `targeting.dependencies.${i}.${field}`);
        return (
          <div
            key={d.id}
            className="grid gap-3 border-b border-slate-100 pb-3 sm:grid-cols-2 lg:grid-cols-[14rem_minmax(0,1fr)_auto_auto]"
            data-testid={`dependency-${i}`}
          >
            <Field label="Parent flag key" error={at("feature")}>
              <TextInput
                value={d.feature}
                onChange={(e) => update(d.id, { feature: e.target.value })}
                placeholder="new-checkout"
                autoComplete="off"
                invalid={!!at("feature")}
                className="font-mono"
              />
            </Field>
            <Field label="Parent variants" error={at("variants")} hint="Empty: any. Separate with commas.">
              <TextInput
                value={d.variants}
                onChange={(e) => update(d.id, { variants: e.target.value })}
                autoComplete="off"
                invalid={!!at("variants")}
              />
            </Field>
            <div className="flex items-center lg:pt-6">
              <Checkbox label="Parent must be on" checked={d.enabled} onChange={(e) => update(d.id, { enabled: e.target.checked })} />
            </div>
            <div className="flex items-center lg:pt-6">
              <RemoveRowButton
                label={`Remove dependency ${i + 1}`}
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
      <ListError message={errors["targeting.dependencies"]} />
      <Button type="button" variant="secondary" onClick={() => onChange([...drafts, emptyDependency()], true)}>
        Add dependency
      </Button>
    </fieldset>
  );
}
