"use client";

import { Button } from "../ui/button";
import { TextArea } from "../ui/field";
import { Overlay } from "../ui/overlay";
import { ActionForm } from "../ui/action-form";

/**
 * The confirmation every kill and restore goes through (flag page, rollout page, overview, command
 * palette): what will happen, in words, and a required reason.
 */
export function KillReasonDialog({
  flagKey,
  environment,
  restore,
  liveRollout,
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  flagKey: string;
  environment: string;
  restore: boolean;
  liveRollout?: boolean;
  pending: boolean;
  error?: string;
  onSubmit: (form: FormData) => void;
  onCancel: () => void;
}) {
  return (
    <Overlay role="dialog" aria-modal="true" aria-labelledby={`kill-dialog-${environment}`}>
      <ActionForm action={onSubmit} className="w-full max-w-md space-y-4 rounded-xl bg-white p-6 shadow-xl">
        <h2 id={`kill-dialog-${environment}`} className="text-lg font-semibold">
          {restore ? "Restore" : "Kill"} {flagKey} in {environment}
        </h2>
        <p className="text-sm text-slate-700" data-testid="kill-consequence">
          {restore
            ? `${flagKey} goes back to its percentage and allowlist in ${environment}. The incident stays open until someone resolves it${liveRollout ? "; the paused rollout stays paused" : ""}.`
            : `${flagKey} serves “off” to everyone in ${environment} within a second, whatever its percentage or allowlist. An incident is opened${liveRollout ? "; the live rollout is paused (break-glass: no approval needed)" : ""}.`}
        </p>
        <input type="hidden" name="flagKey" value={flagKey} />
        <input type="hidden" name="environment" value={environment} />
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Reason</span>
          <TextArea name="reason" rows={2} required minLength={3} autoFocus className="mt-1" />
        </label>
        {error ? (
          <p className="text-sm text-red-600" role="alert">
            {error}
          </p>
        ) : null}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" type="button" onClick={onCancel}>
            Cancel
          </Button>
          <Button variant={restore ? "primary" : "danger"} type="submit" disabled={pending}>
            {restore ? "Restore" : "Kill now"}
          </Button>
        </div>
      </ActionForm>
    </Overlay>
  );
}
