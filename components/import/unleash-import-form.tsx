"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";
import { MAX_UNLEASH_EXPORT_BYTES, readUnleashExport, unleashEnvironments } from "@/lib/domain/unleash-import";
import type { ImportPlanEntry, ImportResult } from "@/lib/flags/import-unleash";
import { Badge } from "../ui/badge";
import { Button } from "../ui/button";
import { CellLabel, DataTable } from "../ui/data-table";
import { Select } from "../ui/field";

type Unmappable = "disable" | "skip";

interface Failure {
  /** Shown under the file input: the file is the problem. */
  file?: string;
  /** Shown above the actions: anything else (session ended, database down…). */
  general?: string;
}

const ACTION_TONE = { create: "green", update: "indigo", unchanged: "gray", skip: "amber" } as const;
const ACTION_LABEL = { create: "create", update: "update", unchanged: "unchanged", skip: "skip" } as const;

/**
 * Upload an Unleash export, see the dry run, import. Talks to `POST /api/v1/import/unleash` (the
 * session cookie authenticates it), so the validation, the plan and the import are the API's own:
 * this form only reads the file, sends it and shows the answer. The file stays in memory between the
 * dry run and the import, so what is imported is what was previewed (with the same choice).
 */
export function UnleashImportForm({ environments }: { environments: string[] }) {
  const [doc, setDoc] = useState<{ name: string; value: unknown } | null>(null);
  // Unleash environment → Rollgate environment, or null to leave it out.
  const [mapping, setMapping] = useState<Record<string, string | null>>({});
  const [unmappable, setUnmappable] = useState<Unmappable>("disable");
  const [plan, setPlan] = useState<ImportResult | null>(null);
  const [imported, setImported] = useState<ImportResult | null>(null);
  const [failure, setFailure] = useState<Failure>({});
  const [busy, setBusy] = useState<"preview" | "import" | null>(null);

  const reset = () => {
    setPlan(null);
    setImported(null);
    setFailure({});
  };

  async function readFile(file: File | undefined): Promise<void> {
    reset();
    setDoc(null);
    if (!file) return;
    // The API refuses it too; saying so here spares uploading 10 MB to hear it.
    if (file.size > MAX_UNLEASH_EXPORT_BYTES) {
      setFailure({ file: `The file is larger than ${MAX_UNLEASH_EXPORT_BYTES / 1_000_000} MB.` });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(await file.text());
    } catch {
      setFailure({ file: "The file is not valid JSON. Export it from Unleash again (Export → JSON)." });
      return;
    }
    // The same reading the API does, here only to list the file's environments for the mapping (and to
    // say at once when it is not an export); the API checks it again.
    let found: string[];
    try {
      found = unleashEnvironments(readUnleashExport(value));
    } catch (err) {
      setFailure({ file: `The file was refused: ${(err as Error).message}.` });
      return;
    }
    setMapping(Object.fromEntries(found.map((env) => [env, defaultTarget(env, environments)])));
    setDoc({ name: file.name, value });
  }

  async function send(dryRun: boolean): Promise<ImportResult | null> {
    if (!doc) {
      setFailure({ file: failure.file ?? "Choose an Unleash export file." });
      return null;
    }
    setBusy(dryRun ? "preview" : "import");
    setFailure({});
    try {
      const res = await fetch("/api/v1/import/unleash", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ export: doc.value, environments: mapping, unmappable, dryRun }),
      });
      const body = (await res.json().catch(() => null)) as
        (ImportResult & { error?: undefined }) | { error?: { message?: string; fields?: Record<string, string> } } | null;
      if (res.ok && body && !body.error) return body as ImportResult;
      const error = body?.error;
      if (res.status === 400) {
        const fields = error?.fields ?? {};
        setFailure({ file: `The file was refused: ${fields.export ?? fields.body ?? error?.message ?? "not an Unleash export"}.` });
      } else if (res.status === 401) {
        setFailure({ general: "Your session has ended. Sign in again and retry." });
      } else if (res.status === 403) {
        setFailure({ general: error?.message ?? "Only admins can import." });
      } else {
        setFailure({ general: error?.message ?? `The import failed (HTTP ${res.status}). Try again.` });
      }
      return null;
    } catch {
      setFailure({ general: "Rollgate could not be reached. Check the connection and try again." });
      return null;
    } finally {
      setBusy(null);
    }
  }

  async function preview(e: FormEvent) {
    e.preventDefault();
    setImported(null);
    setPlan(await send(true));
  }

  async function runImport() {
    const result = await send(false);
    if (result) {
      setImported(result);
      setPlan(null);
    }
  }

  const shown = imported ?? plan;
  const changes = plan ? plan.summary.create + plan.summary.update : 0;
  return (
    <div className="space-y-6">
      <form onSubmit={preview} noValidate className="space-y-4 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Unleash export (JSON)</span>
          <input
            type="file"
            name="export"
            accept="application/json,.json"
            aria-invalid={failure.file ? true : undefined}
            aria-describedby={failure.file ? "export-error" : "export-help"}
            onChange={(e) => void readFile(e.target.files?.[0])}
            className="mt-1 block w-full text-sm text-slate-700 file:mr-3 file:rounded-md file:border-0 file:bg-slate-100 file:px-3 file:py-2 file:text-sm file:font-semibold file:text-slate-800 hover:file:bg-slate-200"
          />
          {failure.file ? (
            <p id="export-error" className="mt-1 text-sm text-red-600" role="alert" data-testid="file-error">
              {failure.file}
            </p>
          ) : (
            <p id="export-help" className="mt-1 text-xs text-slate-500">
              The feature export (Unleash 5+) or the older state export, up to {MAX_UNLEASH_EXPORT_BYTES / 1_000_000} MB.
            </p>
          )}
        </label>
        {doc && Object.keys(mapping).length ? (
          <fieldset className="text-sm">
            <legend className="font-medium text-slate-700">Environments</legend>
            <div className="mt-2 flex flex-wrap gap-x-6 gap-y-2">
              {Object.entries(mapping).map(([env, target]) => (
                <label key={env} className="inline-flex items-center gap-2">
                  <span>
                    Unleash <span className="font-mono">{env}</span> →
                  </span>
                  <Select
                    value={target ?? ""}
                    onChange={(e) => {
                      setMapping({ ...mapping, [env]: e.target.value || null });
                      reset();
                    }}
                    className="w-auto py-1.5 pr-8 pl-2"
                  >
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
        ) : null}
        <fieldset className="text-sm">
          <legend className="font-medium text-slate-700">Flags Rollgate cannot reproduce exactly</legend>
          <div className="mt-2 flex flex-wrap gap-x-6 gap-y-2">
            {(
              [
                ["disable", "Import them disabled"],
                ["skip", "Skip them"],
              ] as const
            ).map(([value, label]) => (
              <label key={value} className="inline-flex items-center gap-2">
                <input
                  type="radio"
                  name="unmappable"
                  value={value}
                  checked={unmappable === value}
                  onChange={() => {
                    setUnmappable(value);
                    reset();
                  }}
                  className="h-4 w-4 text-indigo-600"
                />
                {label}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" variant={plan ? "secondary" : "primary"} disabled={busy !== null}>
            {busy === "preview" ? "Checking…" : "Dry run"}
          </Button>
          {plan ? (
            <Button type="button" onClick={() => void runImport()} disabled={busy !== null || changes === 0}>
              {busy === "import" ? "Importing…" : changes === 0 ? "Nothing to import" : `Import ${changes} flag${changes === 1 ? "" : "s"}`}
            </Button>
          ) : null}
        </div>
        {failure.general ? (
          <p className="text-sm text-red-600" role="alert">
            {failure.general}
          </p>
        ) : null}
      </form>

      <div role="status" aria-live="polite">
        {shown ? (
          <p className="text-sm text-slate-700" data-testid="import-summary">
            {imported ? (
              <>
                <span className="font-semibold text-emerald-700">Imported.</span> {summaryText(imported)}{" "}
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
        ) : null}
      </div>
      {shown ? <PlanTable flags={shown.flags} /> : null}
    </div>
  );
}

/** Where an Unleash environment goes unless the admin says otherwise: its namesake, "default" → production, else nowhere. */
function defaultTarget(env: string, environments: string[]): string | null {
  if (environments.includes(env)) return env;
  if (env === "default" && environments.includes("production")) return "production";
  return null;
}

function summaryText(r: ImportResult): string {
  const s = r.summary;
  const verb = r.dryRun ? ["to create", "to update"] : ["created", "updated"];
  return `${s.create} ${verb[0]}, ${s.update} ${verb[1]}, ${s.unchanged} unchanged, ${s.skip} skipped.`;
}

function stateText(s: { enabled: boolean; rolloutPercent: number; allowlist: string[] }): string {
  if (!s.enabled) return "disabled";
  const allow = s.allowlist.length ? ` + ${s.allowlist.length} allowlisted` : "";
  return `${s.rolloutPercent} %${allow}`;
}

function PlanTable({ flags }: { flags: ImportPlanEntry[] }) {
  return (
    <DataTable stack columns={["Flag", "Action", "Environments"]}>
      {flags.map((f) => (
        <tr key={f.key} data-testid={`import-row-${f.key}`} className="align-top">
          <td className="px-4 py-3">
            <CellLabel>Flag</CellLabel>
            <div className="font-mono font-medium break-all">{f.key}</div>
            {f.bucketGroup !== f.key ? <div className="text-xs text-slate-500">buckets users by &lsquo;{f.bucketGroup}&rsquo;</div> : null}
            {f.problems.length ? <p className="mt-1 text-xs text-amber-800">{f.problems.join("; ")}</p> : null}
          </td>
          <td className="px-4 py-3">
            <CellLabel>Action</CellLabel>
            <Badge tone={ACTION_TONE[f.action]}>{ACTION_LABEL[f.action]}</Badge>
            {f.reason ? <p className="mt-1 text-xs text-slate-600">{f.reason}</p> : null}
          </td>
          <td className="px-4 py-3">
            <CellLabel>Environments</CellLabel>
            {Object.keys(f.environments).length === 0 ? (
              <span className="text-slate-500">—</span>
            ) : (
              <ul className="space-y-1.5">
                {Object.entries(f.environments).map(([env, p]) => (
                  <li key={env}>
                    <span className="font-medium">{env}</span>
                    {p.unleashEnvironment !== env ? <span className="text-slate-500"> (Unleash {p.unleashEnvironment})</span> : null}:{" "}
                    {p.from && stateText(p.from) !== stateText(p.to) ? (
                      <span className="text-slate-500">{stateText(p.from)} → </span>
                    ) : null}
                    {stateText(p.to)}{" "}
                    {p.exact ? (
                      <Badge tone="green">exact</Badge>
                    ) : (
                      <>
                        <Badge tone="amber">not exact</Badge>
                        <span className="block text-xs text-amber-800">
                          {p.problems.length ? p.problems.join("; ") : "see the flag's problems"}
                          {f.action !== "skip" ? " — imported disabled" : ""}
                        </span>
                      </>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
