"use client";

import { useActionState, useRef } from "react";
import { updateFlagStateAction, type FormState } from "@/app/(dashboard)/flags/actions";
import type { FlagStateDto } from "@/lib/flags/flag-dto";
import { Button } from "../ui/button";
import { Field, TextArea } from "../ui/field";
import { ActionForm } from "../ui/action-form";
import { FlagStateBadge } from "./flag-state-badge";
import { ConfirmChangeDialog } from "./confirm-change-dialog";
import { ConflictDialog } from "./conflict-dialog";
import { PercentField } from "./percent-field";
import { RolloutOverrideNotice } from "./rollout-override-notice";
import { useFlagStateForm, type LiveRolloutInfo } from "./use-flag-state-form";
import { FormError } from "@/components/ui/form-message";

export type { LiveRolloutInfo };

const idle: FormState = { status: "idle" };

interface EditorProps {
  flagKey: string;
  environment: string;
  state: FlagStateDto;
  canEdit: boolean;
  /** Production: a change needs a confirmation listing it and a written reason. */
  guarded: boolean;
  /** The environment's active or paused rollout: hand edits need an override with a reason. */
  liveRollout: LiveRolloutInfo | null;
}

/**
 * Edits one environment's state. The outer part owns the action's result, so "saved" and errors
 * survive the inner form being remounted with the new version after a save or a live update.
 */
export function FlagStateEditor(props: EditorProps) {
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
}: EditorProps & { result: FormState; action: (form: FormData) => void; pending: boolean }) {
  const formRef = useRef<HTMLFormElement>(null);
  const saveRef = useRef<HTMLButtonElement>(null);
  const form = useFlagStateForm({ state, guarded, liveRollout, result, action, formRef });
  const { fields, rollout, conflict, confirming } = form;

  return (
    <>
      <ActionForm ref={formRef} action={form.send} className="space-y-4 px-5 py-4" noValidate>
        <input type="hidden" name="flagKey" value={flagKey} />
        <input type="hidden" name="environment" value={environment} />
        <input type="hidden" name="version" value={form.baseVersion} />
        <input type="hidden" name="reason" value={form.reason} />
        {form.override ? <input type="hidden" name="override" value="on" /> : null}
        {rollout ? <RolloutOverrideNotice rollout={rollout} refused={!!form.refusedByRollout && !liveRollout} canEdit={canEdit} /> : null}
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
        <PercentField
          environment={environment}
          percent={form.percent}
          onPercent={form.setPercent}
          disabled={!canEdit}
          error={fields.rolloutPercent}
        />
        <Field
          label="Allowlist"
          error={fields.allowlist ?? Object.entries(fields).find(([k]) => k.startsWith("allowlist."))?.[1]}
          hint="Targeting keys that always get the flag while it is enabled (internal users). One per line."
        >
          <TextArea name="allowlist" defaultValue={state.allowlist.join("\n")} disabled={!canEdit} rows={3} className="font-mono" />
        </Field>
        <div className="flex flex-wrap items-center justify-between gap-2">
          <p className="text-xs text-slate-500">Updated {new Date(state.updatedAt).toLocaleString("en-GB", { timeZone: "UTC" })} UTC</p>
          {canEdit ? (
            form.needsConfirmation ? (
              <Button ref={saveRef} type="button" disabled={pending} onClick={form.openConfirmation}>
                {pending ? "Saving…" : rollout ? `Override and save ${environment}…` : `Save ${environment}…`}
              </Button>
            ) : (
              <Button ref={saveRef} type="submit" disabled={pending}>
                {pending ? "Saving…" : `Save ${environment}`}
              </Button>
            )
          ) : (
            <p className="text-xs text-slate-500">Engineers change flag state; admins may override a live rollout.</p>
          )}
        </div>
        {result.status === "saved" && result.current?.version === state.version ? (
          <p className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800" role="status" data-testid="saved">
            ✓ {result.message}
          </p>
        ) : null}
        {form.fresh && (result.status === "error" || result.status === "invalid") && (result.message || fields.reason) ? (
          <FormError>{fields.reason ? `Reason: ${fields.reason}` : result.message}</FormError>
        ) : null}
      </ActionForm>

      {confirming ? (
        <ConfirmChangeDialog
          flagKey={flagKey}
          environment={environment}
          before={state}
          draft={confirming.draft}
          override={confirming.override}
          reason={form.reason}
          onReason={form.setReason}
          reasonOk={form.reasonOk}
          onCancel={form.cancelConfirmation}
          onConfirm={() => form.confirm(confirming.override)}
        />
      ) : null}

      {conflict ? (
        <ConflictDialog
          environment={environment}
          baseVersion={form.baseVersion}
          current={conflict}
          lastChange={result.lastChange}
          submitted={form.submitted}
          onCancel={form.dismissConflict}
          onOverwrite={() => form.overwrite(conflict.version)}
          onReload={form.reloadLatest}
          returnFocusTo={() => saveRef.current}
        />
      ) : null}
    </>
  );
}
