"use client";

import { Link } from "@/components/ui/link";
import { MAX_UNLEASH_EXPORT_BYTES } from "@/lib/domain/unleash-import";
import type { ImportResult } from "@/lib/flags/import-unleash";
import { Button } from "../ui/button";
import { Select } from "../ui/field";
import { PlanTable } from "./import-plan-table";
import { SegmentPlanTable } from "./import-segment-table";
import { useUnleashImport, type Unmappable } from "./use-unleash-import";
import { FormError } from "@/components/ui/form-message";

/**
 * Upload an Unleash export, see the dry run, import. Talks to `POST /api/v1/import/unleash` (the
 * session cookie authenticates it), so the validation, the plan and the import are the API's own:
 * this form only reads the file, sends it and shows the answer. The file stays in memory between the
 * dry run and the import, so what is imported is what was previewed (with the same choice).
 */
export function UnleashImportForm({ environments }: { environments: string[] }) {
  const { doc, mapping, unmappable, plan, imported, failure, busy, ...act } = useUnleashImport(environments);
  const shown = imported ?? plan;
  const changes = plan ? plan.summary.create + plan.summary.update : 0;
  return (
    <div className="space-y-6">
      <form onSubmit={act.preview} noValidate className="space-y-4 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Unleash export (JSON)</span>
          <input
            type="file"
            name="export"
            accept="application/json,.json"
            aria-invalid={failure.file ? true : undefined}
            aria-describedby={failure.file ? "export-error" : "export-help"}
            onChange={(e) => void act.readFile(e.target.files?.[0])}
            className="mt-1 block w-full text-sm text-slate-700 file:mr-3 file:rounded-md file:border-0 file:bg-slate-100 file:px-3 file:py-2 file:text-sm file:font-semibold file:text-slate-800 hover:file:bg-slate-200"
          />
          {failure.file ? (
            <FormError id="export-error" className="mt-1" data-testid="file-error">
              {failure.file}
            </FormError>
          ) : (
            <p id="export-help" className="mt-1 text-xs text-slate-500">
              The feature export (Unleash 5+) or the older state export, up to {MAX_UNLEASH_EXPORT_BYTES / 1_000_000} MB.
            </p>
          )}
        </label>
        {doc && Object.keys(mapping).length ? <EnvironmentMapping mapping={mapping} environments={environments} onMap={act.mapTo} /> : null}
        <UnmappableChoice value={unmappable} onChange={act.chooseUnmappable} />
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" variant={plan ? "secondary" : "primary"} disabled={busy !== null}>
            {busy === "preview" ? "Checking…" : "Dry run"}
          </Button>
          {plan ? (
            <Button type="button" onClick={() => void act.runImport()} disabled={busy !== null || changes === 0}>
              {busy === "import" ? "Importing…" : changes === 0 ? "Nothing to import" : `Import ${changes} flag${changes === 1 ? "" : "s"}`}
            </Button>
          ) : null}
        </div>
        {failure.general ? <FormError>{failure.general}</FormError> : null}
      </form>

      <div role="status" aria-live="polite">
        {shown ? <ImportSummary shown={shown} imported={imported !== null} /> : null}
      </div>
      {shown?.segments.length ? <SegmentPlanTable segments={shown.segments} /> : null}
      {shown ? <PlanTable flags={shown.flags} /> : null}
    </div>
  );
}

/** Each environment found in the file → a Rollgate environment, or left out. */
function EnvironmentMapping({
  mapping,
  environments,
  onMap,
}: {
  mapping: Record<string, string | null>;
  environments: string[];
  onMap: (env: string, target: string | null) => void;
}) {
  return (
    <fieldset className="text-sm">
      <legend className="font-medium text-slate-700">Environments</legend>
      <div className="mt-2 flex flex-wrap gap-x-6 gap-y-2">
        {Object.entries(mapping).map(([env, target]) => (
          <label key={env} className="inline-flex items-center gap-2">
            <span>
              Unleash <span className="font-mono">{env}</span> →
            </span>
            <Select value={target ?? ""} onChange={(e) => onMap(env, e.target.value || null)} className="w-auto py-1.5 pr-8 pl-2">
              {environments.map((e) => (
                <option key={e} value={e}>
                  {e}
                </option>
              ))}
              <option value="">leave out</option>
            </Select>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function UnmappableChoice({ value, onChange }: { value: Unmappable; onChange: (value: Unmappable) => void }) {
  return (
    <fieldset className="text-sm">
      <legend className="font-medium text-slate-700">Flags Rollgate cannot reproduce exactly</legend>
      <div className="mt-2 flex flex-wrap gap-x-6 gap-y-2">
        {(
          [
            ["disable", "Import them disabled"],
            ["skip", "Skip them"],
          ] as const
        ).map(([option, label]) => (
          <label key={option} className="inline-flex items-center gap-2">
            <input
              type="radio"
              name="unmappable"
              value={option}
              checked={value === option}
              onChange={() => onChange(option)}
              className="h-4 w-4 text-indigo-600"
            />
            {label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function ImportSummary({ shown, imported }: { shown: ImportResult; imported: boolean }) {
  return (
    <p className="text-sm text-slate-700" data-testid="import-summary">
      {imported ? (
        <>
          <span className="font-semibold text-emerald-700">Imported.</span> {summaryText(shown)}{" "}
          <Link href="/flags" className="font-medium text-indigo-700 hover:underline">
            See the flags
          </Link>
        </>
      ) : (
        <>
          <span className="font-semibold">Dry run: nothing has changed yet.</span> {summaryText(shown)}
        </>
      )}
    </p>
  );
}

function summaryText(r: ImportResult): string {
  const s = r.summary;
  const verb = r.dryRun ? ["to create", "to update"] : ["created", "updated"];
  return `${s.create} ${verb[0]}, ${s.update} ${verb[1]}, ${s.unchanged} unchanged, ${s.skip} skipped.`;
}
