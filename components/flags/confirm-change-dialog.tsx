"use client";

import type { FlagStateDto } from "@/lib/flags/flag-dto";
import { Button } from "../ui/button";
import { TextArea } from "../ui/field";
import { ModalDialog } from "../ui/modal-dialog";
import { Changes } from "./state-changes";
import type { Draft } from "./use-flag-state-form";

/** A guarded change or a rollout override: what changes, and the reason the audit log gets. */
export function ConfirmChangeDialog({
  flagKey,
  environment,
  before,
  draft,
  override,
  reason,
  onReason,
  reasonOk,
  onCancel,
  onConfirm,
}: {
  flagKey: string;
  environment: string;
  before: FlagStateDto;
  draft: Draft;
  override: boolean;
  reason: string;
  onReason: (reason: string) => void;
  reasonOk: boolean;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  return (
    <ModalDialog
      title={override ? `Override the rollout in ${environment}?` : `Change ${flagKey} in ${environment}?`}
      onClose={onCancel}
      className="max-w-md space-y-4 p-6"
    >
      <Changes before={before} after={draft} />
      {override ? (
        <p className="text-sm text-amber-900">
          A live rollout sets this state. Saving overrides it: the change and your reason are recorded on the rollout and in the audit log,
          and the rollout is paused until someone resumes it.
        </p>
      ) : (
        <p className="text-sm text-slate-600">SDKs pick the change up within a second.</p>
      )}
      <label className="block text-sm">
        <span className="font-medium text-slate-700">Reason (required, goes to the audit log)</span>
        <TextArea
          value={reason}
          onChange={(e) => onReason(e.target.value)}
          rows={2}
          data-autofocus
          aria-describedby={`reason-hint-${environment}`}
          className="mt-1"
        />
        <span id={`reason-hint-${environment}`} className="mt-1 block text-xs text-slate-500">
          At least 3 characters, e.g. “support ticket 4121: enable for everyone”.
        </span>
      </label>
      <div className="flex flex-wrap justify-end gap-2">
        <Button variant="secondary" type="button" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="button" variant={override ? "danger" : "primary"} disabled={!reasonOk} onClick={onConfirm}>
          {override ? "Override and save" : `Save ${environment}`}
        </Button>
      </div>
    </ModalDialog>
  );
}
