"use client";

import { Button } from "../ui/button";
import { TextArea } from "../ui/field";
import { ModalDialog } from "../ui/modal-dialog";
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
  returnFocusTo,
}: {
  flagKey: string;
  environment: string;
  restore: boolean;
  liveRollout?: boolean;
  pending: boolean;
  error?: string;
  onSubmit: (form: FormData) => void;
  onCancel: () => void;
  /** Where focus goes back to when what opened it is gone (the command palette). */
  returnFocusTo?: () => HTMLElement | null;
}) {
  return (
    <ModalDialog
      title={`${restore ? "Restore" : "Kill"} ${flagKey} in ${environment}`}
      onClose={onCancel}
      closable={!pending}
      returnFocusTo={returnFocusTo}
    >
      <ActionForm action={onSubmit} className="mt-4 space-y-4">
        <p className="text-sm text-slate-700" data-testid="kill-consequence">
          {restore
            ? `${flagKey} goes back to its percentage and allowlist in ${environment}. The incident stays open until someone resolves it${liveRollout ? "; the paused rollout stays paused" : ""}.`
            : `${flagKey} serves “off” to everyone in ${environment} within a second, whatever its percentage or allowlist. An incident is opened${liveRollout ? "; the live rollout is paused (break-glass: no approval needed)" : ""}.`}
        </p>
        <input type="hidden" name="flagKey" value={flagKey} />
        <input type="hidden" name="environment" value={environment} />
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Reason</span>
          <TextArea name="reason" rows={2} required minLength={3} data-autofocus className="mt-1" />
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
    </ModalDialog>
  );
}
