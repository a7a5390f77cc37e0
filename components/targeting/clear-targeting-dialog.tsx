"use client";

import { Button } from "../ui/button";
import { ModalDialog } from "../ui/modal-dialog";

/** "Clear targeting?": back to the plain rollout percentage, for everyone. */
export function ClearTargetingDialog({
  environment,
  rolloutPercent,
  onCancel,
  onConfirm,
}: {
  environment: string;
  rolloutPercent: number;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  return (
    <ModalDialog title={`Clear the targeting of ${environment}?`} onClose={onCancel} className="max-w-md space-y-4 p-6">
      <p className="text-sm text-slate-600">
        Every strategy, variant and dependency of {environment} is removed. The flag is then on for {rolloutPercent} % of everyone, by user
        id (the rollout percentage), as before targeting.
      </p>
      <div className="flex flex-wrap justify-end gap-2">
        <Button variant="secondary" type="button" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="button" variant="danger" onClick={onConfirm} data-autofocus>
          Clear targeting
        </Button>
      </div>
    </ModalDialog>
  );
}
