"use client";

import Link from "next/link";
import { useActionState, useRef, useState } from "react";
import { flushSync } from "react-dom";
import { useRouter } from "next/navigation";
import { updateFlagStateAction, type FormState } from "@/app/(dashboard)/flags/actions";
import type { FlagStateDto } from "@/lib/flags/flag-dto";
import { Button } from "../ui/button";
import { Field, TextInput } from "../ui/field";
import { ActionForm } from "../ui/action-form";
import { FlagStateBadge } from "./flag-state-badge";

export interface LiveRolloutInfo {
  id: string;
  status: string;
  phase: string | null;
}

/** What the form would write, as the server action reads it. */
interface Draft {
  enabled: boolean;
  rolloutPercent: string;
  allowlist: string[];
}

const idle: FormState = { status: "idle" };

/**
 * Edits one environment's state. The outer part owns the action's result, so "saved" and errors
 * survive the inner form being remounted with the new version after a save or a live update.
 */
export function FlagStateEditor(props: {
  flagKey: string;
  environment: string;
  state: FlagStateDto;
  canEdit: boolean;
  /** Production: a change needs a confirmation listing it and a written reason. */
  guarded: boolean;
  /** The environment's active or paused rollout: hand edits need an override with a reason. */
  liveRollout: LiveRolloutInfo | null;
}) {
  const [result, action, pending] = useActionState<FormState, FormData>(updateFlagStateAction, idle);
  const { environment, state } = props;
  return (
    <section className="min-w-0 rounded-xl bg-white shadow-sm ring-1 ring-slate-200" data-testid={`env-${environment}`}>
      <div className="flex items-center justify-between border-b border-slate-100 px-5 py-3">
        <h2 className="font-semibold capitalize">{environment}</h2>
        <div className="flex items-center gap-3 text-xs text-slate-500">
          <FlagStateBadge state={state} />
          <span data-testid="version">v{state.version}</span>
        </div>
      </div>
      <EditorForm key={state.version} {...props} result={result} action={action} pending={pending} />
    </section>
  );
}

function EditorForm({
  flagKey,
  environment,
  state,
  canEdit,
  guarded,
  liveRollout,
  result,
  action,
  pending,
}: {
  flagKey: string;
  environment: string;
  state: FlagStateDto;
  canEdit: boolean;
  guarded: boolean;
  liveRollout: LiveRolloutInfo | null;
  result: FormState;
  action: (form: FormData) => void;
  pending: boolean;
}) {
  const router = useRouter();
  // A result from before this form was mounted (e.g. the save that produced this version) is not about its fields.
  const [mountedWith] = useState(result);
  const fresh = result !== mountedWith;
  const [percent, setPercent] = useState(String(state.rolloutPercent));
  const [dismissed, setDismissed] = useState<FormState | null>(null);
  // The version this edit claims to be based on; "Overwrite with mine" moves it to the current one.
  const [baseVersion, setBaseVersion] = useState(state.version);
  const [confirming, setConfirming] = useState<{ draft: Draft; override: boolean } | null>(null);
  const [reason, setReason] = useState("");
  const [override, setOverride] = useState(false);
  const [submitted, setSubmitted] = useState<Draft | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  const refusedByRollout = fresh && result.status === "rollout" && dismissed !== result ? result.rollout : undefined;
  const rollout = liveRollout ?? (refusedByRollout ? { ...refusedByRollout } : null);
  const conflict = fresh && result.status === "conflict" && dismissed !== result ? result.current : undefined;
  const fields = fresh ? (result.fields ?? {}) : {};
  const needsConfirmation = guarded || rollout !== null;

  const readDraft = (): Draft => {
    const data = new FormData(formRef.current!);
    return {
      enabled: data.get("enabled") === "on",
      rolloutPercent: String(data.get("rolloutPercent") ?? ""),
      allowlist: String(data.get("allowlist") ?? "")
        .split(/[\n,]/)
        .map((s) => s.trim())
        .filter(Boolean),
    };
  };
  const submit = (withOverride: boolean) => {
    // Commit the hidden inputs to the DOM before the form reads them.
    flushSync(() => {
      setOverride(withOverride);
      setConfirming(null);
    });
    formRef.current?.requestSubmit();
  };
  const reasonOk = reason.trim().length >= 3;

  return (
    <>
      <ActionForm
        ref={formRef}
        action={(data) => {
          setSubmitted({
            enabled: data.get("enabled") === "on",
            rolloutPercent: String(data.get("rolloutPercent") ?? ""),
            allowlist: String(data.get("allowlist") ?? "")
              .split(/[\n,]/)
              .map((s) => s.trim())
              .filter(Boolean),
          });
          action(data);
        }}
        className="space-y-4 px-5 py-4"
        noValidate
      >
        <input type="hidden" name="flagKey" value={flagKey} />
        <input type="hidden" name="environment" value={environment} />
        <input type="hidden" name="version" value={baseVersion} />
        <input type="hidden" name="reason" value={reason} />
        {override ? <input type="hidden" name="override" value="on" /> : null}
        {rollout ? (
          <div className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200" data-testid="rollout-owns-state">
            {refusedByRollout && !liveRollout ? "Not saved: " : ""}
            {rollout.status === "active" ? "An" : "A"} {rollout.status} rollout
            {rollout.phase ? ` (phase ${rollout.phase})` : ""} sets this environment’s state.{" "}
            <Link href={`/rollouts/${rollout.id}`} className="font-semibold underline">
              Change it on the rollout
            </Link>
            {canEdit ? "; a change here is an override: it needs a reason and pauses the rollout." : "."}
          </div>
        ) : null}
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
        <Field label="Rollout percentage" error={fields.rolloutPercent} hint="Users whose bucket (1–100) is at or below this get the flag.">
          <div className="flex items-center gap-3">
            <input
              type="range"
              min={0}
              max={100}
              value={/^\d+$/.test(percent) ? Number(percent) : 0}
              onChange={(e) => setPercent(e.target.value)}
              disabled={!canEdit}
              aria-label={`${environment} rollout slider`}
              className="min-w-0 flex-1 accent-indigo-600"
            />
            <TextInput
              name="rolloutPercent"
              inputMode="numeric"
              value={percent}
              onChange={(e) => setPercent(e.target.value)}
              disabled={!canEdit}
              invalid={!!fields.rolloutPercent}
              aria-label={`${environment} rollout percentage`}
              className="w-20 text-right"
            />
            <span className="text-sm text-slate-500">%</span>
          </div>
        </Field>
        <Field
          label="Allowlist"
          error={fields.allowlist ?? Object.entries(fields).find(([k]) => k.startsWith("allowlist."))?.[1]}
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
        <div className="flex flex-wrap items-center justify-between gap-2">
          <p className="text-xs text-slate-500">Updated {new Date(state.updatedAt).toLocaleString("en-GB", { timeZone: "UTC" })} UTC</p>
          {canEdit ? (
            needsConfirmation ? (
              <Button type="button" disabled={pending} onClick={() => setConfirming({ draft: readDraft(), override: rollout !== null })}>
                {pending ? "Saving…" : rollout ? `Override and save ${environment}…` : `Save ${environment}…`}
              </Button>
            ) : (
              <Button type="submit" disabled={pending}>
                {pending ? "Saving…" : `Save ${environment}`}
              </Button>
            )
          ) : (
            <p className="text-xs text-slate-500">Only engineers can change flag state.</p>
          )}
        </div>
        {result.status === "saved" && result.current?.version === state.version ? (
          <p className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800" role="status" data-testid="saved">
            ✓ {result.message}
          </p>
        ) : null}
        {fresh && (result.status === "error" || result.status === "invalid") && (result.message || fields.reason) ? (
          <p className="text-sm text-red-600" role="alert">
            {fields.reason ? `Reason: ${fields.reason}` : result.message}
          </p>
        ) : null}
      </ActionForm>

      {confirming ? (
        <div className="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/40 p-4">
          <div
            className="max-h-full w-full max-w-md space-y-4 overflow-y-auto rounded-xl bg-white p-6 shadow-xl"
            role="dialog"
            aria-modal="true"
            aria-labelledby={`confirm-${environment}`}
          >
            <h2 id={`confirm-${environment}`} className="text-lg font-semibold">
              {confirming.override ? `Override the rollout in ${environment}?` : `Change ${flagKey} in ${environment}?`}
            </h2>
            <Changes before={state} after={confirming.draft} />
            {confirming.override ? (
              <p className="text-sm text-amber-900">
                A live rollout sets this state. Saving overrides it: the change and your reason are recorded on the rollout and in the audit
                log, and the rollout is paused until someone resumes it.
              </p>
            ) : (
              <p className="text-sm text-slate-600">SDKs pick the change up within a second.</p>
            )}
            <label className="block text-sm">
              <span className="font-medium text-slate-700">Reason (required, goes to the audit log)</span>
              <textarea
                value={reason}
                onChange={(e) => setReason(e.target.value)}
                rows={2}
                autoFocus
                aria-describedby={`reason-hint-${environment}`}
                className="mt-1 block w-full rounded-md border-0 px-3 py-2 text-sm shadow-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600"
              />
              <span id={`reason-hint-${environment}`} className="mt-1 block text-xs text-slate-500">
                At least 3 characters, e.g. “support ticket 4121: enable for everyone”.
              </span>
            </label>
            <div className="flex flex-wrap justify-end gap-2">
              <Button variant="secondary" type="button" onClick={() => setConfirming(null)}>
                Cancel
              </Button>
              <Button
                type="button"
                variant={confirming.override ? "danger" : "primary"}
                disabled={!reasonOk}
                onClick={() => submit(confirming.override)}
              >
                {confirming.override ? "Override and save" : `Save ${environment}`}
              </Button>
            </div>
          </div>
        </div>
      ) : null}

      {conflict ? (
        <div className="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/40 p-4">
          <div
            className="max-h-full w-full max-w-lg overflow-y-auto rounded-xl bg-white p-6 shadow-xl"
            role="dialog"
            aria-modal="true"
            aria-labelledby={`conflict-${environment}`}
          >
            <h2 id={`conflict-${environment}`} className="text-lg font-semibold">
              Someone else changed this flag
            </h2>
            <p className="mt-2 text-sm text-slate-600">
              Your edit was based on version {baseVersion}, but {environment} is now at version {conflict.version}
              {result.lastChange ? (
                <>
                  , last changed by <strong data-testid="conflict-by">{result.lastChange.by}</strong> (
                  {result.lastChange.action.replace("flag_state.", "").replace("rollout.", "rollout ")},{" "}
                  {result.lastChange.at.replace("T", " ").slice(0, 19)} UTC)
                </>
              ) : null}
              . Nothing was saved. Load their change and start again, or save yours over it (theirs stays in the audit log).
            </p>
            <table className="mt-4 w-full text-left text-sm" data-testid="conflict-table">
              <caption className="sr-only">Their values and yours</caption>
              <thead className="text-xs text-slate-500 uppercase">
                <tr>
                  <th scope="col" className="py-1 pr-2 font-semibold">
                    Field
                  </th>
                  <th scope="col" className="py-1 pr-2 font-semibold">
                    Theirs (v{conflict.version})
                  </th>
                  <th scope="col" className="py-1 font-semibold">
                    Yours
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                <tr>
                  <th scope="row" className="py-1 pr-2 font-normal text-slate-500">
                    Enabled
                  </th>
                  <td className="py-1 pr-2">{conflict.enabled ? "yes" : "no"}</td>
                  <td className="py-1">{submitted ? (submitted.enabled ? "yes" : "no") : "—"}</td>
                </tr>
                <tr>
                  <th scope="row" className="py-1 pr-2 font-normal text-slate-500">
                    Rollout
                  </th>
                  <td className="py-1 pr-2" data-testid="conflict-percent">
                    {conflict.rolloutPercent}%
                  </td>
                  <td className="py-1" data-testid="conflict-yours-percent">
                    {submitted ? `${submitted.rolloutPercent}%` : "—"}
                  </td>
                </tr>
                <tr>
                  <th scope="row" className="py-1 pr-2 font-normal text-slate-500">
                    Allowlist
                  </th>
                  <td className="py-1 pr-2 break-all">{listText(conflict.allowlist)}</td>
                  <td className="py-1 break-all">{submitted ? listText(submitted.allowlist) : "—"}</td>
                </tr>
                <tr>
                  <th scope="row" className="py-1 pr-2 font-normal text-slate-500">
                    Killed
                  </th>
                  <td className="py-1 pr-2">{conflict.killed ? "yes" : "no"}</td>
                  <td className="py-1 text-slate-500">(not changed here)</td>
                </tr>
              </tbody>
            </table>
            <div className="mt-5 flex flex-wrap justify-end gap-2">
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
    </>
  );
}

function listText(list: string[]): string {
  if (list.length === 0) return "empty";
  const shown = list.slice(0, 5).join(", ");
  return list.length > 5 ? `${shown} and ${list.length - 5} more` : shown;
}

/** Before → after, one line per field that changes; "nothing changes" when none does. */
function Changes({ before, after }: { before: FlagStateDto; after: Draft }) {
  const rows: [string, string, string][] = [];
  if (before.enabled !== after.enabled) rows.push(["Enabled", before.enabled ? "on" : "off", after.enabled ? "on" : "off"]);
  if (String(before.rolloutPercent) !== after.rolloutPercent.trim())
    rows.push(["Rollout percentage", `${before.rolloutPercent} %`, `${after.rolloutPercent.trim() || "(empty)"} %`]);
  const added = after.allowlist.filter((k) => !before.allowlist.includes(k));
  const removed = before.allowlist.filter((k) => !after.allowlist.includes(k));
  if (added.length || removed.length)
    rows.push([
      "Allowlist",
      `${before.allowlist.length} entries`,
      `${new Set(after.allowlist).size} entries${added.length ? `, + ${listText(added)}` : ""}${removed.length ? `, − ${listText(removed)}` : ""}`,
    ]);
  if (rows.length === 0) return <p className="text-sm text-slate-700">Nothing changes: the values are the ones already saved.</p>;
  return (
    <table className="w-full text-left text-sm" data-testid="changes">
      <caption className="sr-only">What will change</caption>
      <thead className="text-xs text-slate-500 uppercase">
        <tr>
          <th scope="col" className="py-1 pr-2 font-semibold">
            Field
          </th>
          <th scope="col" className="py-1 pr-2 font-semibold">
            Now
          </th>
          <th scope="col" className="py-1 font-semibold">
            After saving
          </th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {rows.map(([field, from, to]) => (
          <tr key={field}>
            <th scope="row" className="py-1 pr-2 font-normal text-slate-500">
              {field}
            </th>
            <td className="py-1 pr-2">{from}</td>
            <td className="py-1 font-semibold break-all">{to}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
