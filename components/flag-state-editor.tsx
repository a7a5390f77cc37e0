"use client";

import { useActionState, useRef, useState } from "react";
import { flushSync } from "react-dom";
import { useRouter } from "next/navigation";
import { updateFlagStateAction, type FormState } from "@/app/(dashboard)/flags/actions";
import type { FlagStateDto } from "@/lib/flags/flag-dto";
import { Button } from "./ui/button";
import { Field, TextInput } from "./ui/field";
import { FlagStateBadge } from "./flag-state-badge";

/**
 * Edits one environment's state. The version the page was rendered with travels with the form; if
 * someone saved in between, the server answers with a conflict and the dialog below offers to load
 * their change instead of silently overwriting it. The parent keys this component by version, so a
 * refresh after save or reload remounts it with fresh values.
 */
export function FlagStateEditor({
  flagKey,
  environment,
  state,
  canEdit,
}: {
  flagKey: string;
  environment: string;
  state: FlagStateDto;
  canEdit: boolean;
}) {
  const router = useRouter();
  const [result, action, pending] = useActionState<FormState, FormData>(updateFlagStateAction, { status: "idle" });
  const [percent, setPercent] = useState(String(state.rolloutPercent));
  const [dismissed, setDismissed] = useState<FormState | null>(null);
  // The version this edit claims to be based on; "Overwrite with mine" moves it to the current one.
  const [baseVersion, setBaseVersion] = useState(state.version);
  const formRef = useRef<HTMLFormElement>(null);
  const conflict = result.status === "conflict" && dismissed !== result ? result.current : undefined;

  return (
    <section className="rounded-xl bg-white shadow-sm ring-1 ring-slate-200" data-testid={`env-${environment}`}>
      <div className="flex items-center justify-between border-b border-slate-100 px-5 py-3">
        <h2 className="font-semibold capitalize">{environment}</h2>
        <div className="flex items-center gap-3 text-xs text-slate-500">
          <FlagStateBadge state={state} />
          <span data-testid="version">v{state.version}</span>
        </div>
      </div>
      <form ref={formRef} action={action} className="space-y-4 px-5 py-4" noValidate>
        <input type="hidden" name="flagKey" value={flagKey} />
        <input type="hidden" name="environment" value={environment} />
        <input type="hidden" name="version" value={baseVersion} />
        <label className="flex items-center gap-3 text-sm font-medium text-slate-700">
          <input
            type="checkbox"
            name="enabled"
            defaultChecked={state.enabled}
            disabled={!canEdit}
            className="h-4 w-4 rounded border-slate-300 text-indigo-600"
          />
          Enabled
        </label>
        <Field
          label="Rollout percentage"
          error={result.fields?.rolloutPercent}
          hint="Users whose bucket (1–100) is at or below this get the flag."
        >
          <div className="flex items-center gap-3">
            <input
              type="range"
              min={0}
              max={100}
              value={/^\d+$/.test(percent) ? Number(percent) : 0}
              onChange={(e) => setPercent(e.target.value)}
              disabled={!canEdit}
              aria-label={`${environment} rollout slider`}
              className="flex-1 accent-indigo-600"
            />
            <TextInput
              name="rolloutPercent"
              inputMode="numeric"
              value={percent}
              onChange={(e) => setPercent(e.target.value)}
              disabled={!canEdit}
              invalid={!!result.fields?.rolloutPercent}
              aria-label={`${environment} rollout percentage`}
              className="w-20 text-right"
            />
            <span className="text-sm text-slate-500">%</span>
          </div>
        </Field>
        <Field
          label="Allowlist"
          error={result.fields?.allowlist ?? Object.entries(result.fields ?? {}).find(([k]) => k.startsWith("allowlist."))?.[1]}
          hint="Targeting keys that always get the flag while it is enabled (internal users). One per line."
        >
          <textarea
            name="allowlist"
            defaultValue={state.allowlist.join("\n")}
            disabled={!canEdit}
            rows={3}
            className="block w-full rounded-md border-0 px-3 py-2 font-mono text-sm shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600"
          />
        </Field>
        <div className="flex items-center justify-between">
          <p className="text-xs text-slate-500">Updated {new Date(state.updatedAt).toLocaleString("en-GB", { timeZone: "UTC" })} UTC</p>
          {canEdit ? (
            <Button type="submit" disabled={pending}>
              {pending ? "Saving…" : `Save ${environment}`}
            </Button>
          ) : (
            <p className="text-xs text-slate-500">Only engineers can change flag state.</p>
          )}
        </div>
        {result.status === "error" || (result.status === "invalid" && result.message) ? (
          <p className="text-sm text-red-600" role="alert">
            {result.message}
          </p>
        ) : null}
      </form>

      {conflict ? (
        <div
          className="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/40 p-4"
          role="dialog"
          aria-modal="true"
          aria-labelledby={`conflict-${environment}`}
        >
          <div className="w-full max-w-md rounded-xl bg-white p-6 shadow-xl">
            <h3 id={`conflict-${environment}`} className="text-lg font-semibold">
              Someone else changed this flag
            </h3>
            <p className="mt-2 text-sm text-slate-600">
              Your edit was based on version {baseVersion}, but {environment} is now at version {conflict.version}. Nothing was saved. Load
              their change and start again, or save yours over it (theirs stays in the audit log).
            </p>
            <dl className="mt-4 grid grid-cols-2 gap-2 rounded-lg bg-slate-50 p-3 text-sm">
              <dt className="text-slate-500">Enabled</dt>
              <dd>{conflict.enabled ? "yes" : "no"}</dd>
              <dt className="text-slate-500">Rollout</dt>
              <dd data-testid="conflict-percent">{conflict.rolloutPercent}%</dd>
              <dt className="text-slate-500">Allowlist</dt>
              <dd>{conflict.allowlist.length} entries</dd>
              <dt className="text-slate-500">Killed</dt>
              <dd>{conflict.killed ? "yes" : "no"}</dd>
            </dl>
            <div className="mt-5 flex justify-end gap-2">
              <Button variant="secondary" type="button" onClick={() => setDismissed(result)}>
                Cancel
              </Button>
              <Button
                variant="secondary"
                type="button"
                onClick={() => {
                  // Commit the new base version to the DOM before submitting the same form again.
                  flushSync(() => {
                    setBaseVersion(conflict.version);
                    setDismissed(result);
                  });
                  formRef.current?.requestSubmit();
                }}
              >
                Overwrite with mine
              </Button>
              <Button type="button" onClick={() => router.refresh()}>
                Reload latest
              </Button>
            </div>
          </div>
        </div>
      ) : null}
    </section>
  );
}
