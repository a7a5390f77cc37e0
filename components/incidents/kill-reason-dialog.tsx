"use client";

import { Button } from "../ui/button";
import { TextArea } from "../ui/field";
import { ModalDialog } from "../ui/modal-dialog";
import { ActionForm } from "../ui/action-form";
import { REASON_MAX } from "@/lib/domain/reason";
import { FormError } from "@/components/ui/form-message";

// What a kill or restore does to the environment's rollout: said for sure where the caller knows
// (true: there is one it acts on, false: none), in general where it does not (the command palette).
const ROLLOUT_ON_KILL: Record<string, string> = {
  true: "; the live rollout is paused (break-glass: no approval needed)",
  false: "",
  undefined: "; an active rollout there, if any, is paused (break-glass: no approval needed)",
};
const ROLLOUT_ON_RESTORE: Record<string, string> = {
  true: "; the paused rollout stays paused",
  false: "",
  undefined: "; a rollout the kill paused stays paused",
};

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
  /** Kill: an active rollout is there (it will be paused). Restore: a paused one is (it stays so). Unknown: undefined. */
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
            ? `${flagKey} goes back to its percentage and allowlist in ${environment}. The incident stays open until someone resolves it${ROLLOUT_ON_RESTORE[String(liveRollout)]}.`
            : `${flagKey} serves “off” to everyone in ${environment} within a second, whatever its percentage or allowlist. An incident is opened${ROLLOUT_ON_KILL[String(liveRollout)]}.`}
        </p>
        <input type="hidden" name="flagKey" value={flagKey} />
        <input type="hidden" name="environment" value={environment} />
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Reason</span>
          <TextArea name="reason" rows={2} required minLength={3} maxLength={REASON_MAX} data-autofocus className="mt-1" />
        </label>
        {error ? <FormError>{error}</FormError> : null}
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
