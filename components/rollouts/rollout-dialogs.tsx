"use client";

import type { RolloutFormState } from "@/app/(dashboard)/rollouts/actions";
import type { RolloutDto } from "@/lib/rollouts/rollout-view";
import { Button } from "../ui/button";
import { ActionForm } from "../ui/action-form";
import { TextArea } from "../ui/field";
import { ModalDialog } from "../ui/modal-dialog";

export type Action = "advance" | "pause" | "resume" | "rollback";

/**
 * One step (advance, pause, resume, roll back) spelled out before it happens: its consequence, the
 * red gates an advance would pass, and a reason. `state` is the answer to this dialog's own
 * submission, or idle before it was sent.
 */
export function TransitionDialog({
  rollout,
  action,
  dialog,
  isAdmin,
  formAction,
  pending,
  state,
  onCancel,
  returnFocusTo,
}: {
  rollout: RolloutDto;
  action: Action;
  dialog: { title: string; body: string; confirm: string };
  isAdmin: boolean;
  formAction: (form: FormData) => void;
  pending: boolean;
  state: RolloutFormState | null;
  onCancel: () => void;
  returnFocusTo: () => HTMLElement | null;
}) {
  const red = rollout.gates.filter((g) => !g.ok);
  return (
    <ModalDialog title={dialog.title} onClose={onCancel} closable={!pending} returnFocusTo={returnFocusTo}>
      <ActionForm action={formAction} className="mt-4 space-y-4">
        <p className="text-sm text-slate-700" data-testid="consequence">
          {dialog.body}
        </p>
        <input type="hidden" name="rolloutId" value={rollout.id} />
        <input type="hidden" name="action" value={action} />
        <input type="hidden" name="version" value={rollout.version} />
        {action === "advance" && red.length > 0 ? (
          <div className="rounded-md bg-red-50 p-3 text-sm text-red-800">
            <p className="font-medium">
              {red.length} gate{red.length > 1 ? "s are" : " is"} red:
            </p>
            <ul className="mt-1 list-disc pl-5">
              {red.map((g) => (
                <li key={g.name}>{g.reason}</li>
              ))}
            </ul>
            {isAdmin ? (
              <label className="mt-2 flex items-center gap-2 font-medium">
                <input type="checkbox" name="override" className="h-4 w-4 rounded border-slate-300" /> Override as admin (reason required,
                audited)
              </label>
            ) : (
              <p className="mt-2">The server will refuse this until they are green.</p>
            )}
          </div>
        ) : null}
        <label className="block text-sm">
          <span className="font-medium text-slate-700">Reason{action === "rollback" ? "" : " (optional)"}</span>
          <TextArea
            name="reason"
            rows={2}
            required={action === "rollback"}
            minLength={action === "rollback" ? 3 : undefined}
            data-autofocus
            className="mt-1"
          />
        </label>
        {state && (state.status === "error" || state.status === "invalid" || state.status === "blocked") && state.message ? (
          <p className="text-sm text-red-600" role="alert">
            {state.fields?.reason ?? state.message}
          </p>
        ) : null}
        <div className="flex flex-wrap justify-end gap-2">
          <Button variant="secondary" type="button" onClick={onCancel}>
            Cancel
          </Button>
          <Button variant={action === "rollback" ? "danger" : "primary"} type="submit" disabled={pending}>
            {pending ? "Working…" : dialog.confirm}
          </Button>
        </div>
      </ActionForm>
    </ModalDialog>
  );
}

/** The rollout moved on since the page was loaded; nothing was changed. */
export function RolloutConflictDialog({
  version,
  current,
  onCancel,
  onReload,
  returnFocusTo,
}: {
  version: number;
  current: RolloutDto;
  onCancel: () => void;
  onReload: () => void;
  returnFocusTo: () => HTMLElement | null;
}) {
  return (
    <ModalDialog title="Someone else changed this rollout" onClose={onCancel} returnFocusTo={returnFocusTo}>
      <p className="mt-2 text-sm text-slate-600">
        You acted on version {version}; it is now at version {current.version} ({current.status.replace("_", " ")}, phase{" "}
        {current.currentPhase + 1}). Nothing was changed. Reload to see what happened, then decide again.
      </p>
      <div className="mt-5 flex justify-end gap-2">
        <Button variant="secondary" type="button" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="button" onClick={onReload}>
          Reload
        </Button>
      </div>
    </ModalDialog>
  );
}
