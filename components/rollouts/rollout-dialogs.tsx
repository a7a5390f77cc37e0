"use client";

import type { RolloutFormState } from "@/app/(dashboard)/rollouts/actions";
import type { RolloutDto } from "@/lib/rollouts/rollout-view";
import { Button } from "../ui/button";
import { ActionForm } from "../ui/action-form";
import { REASON_MAX } from "@/lib/domain/reason";
import { TextArea } from "../ui/field";
import { ModalDialog } from "../ui/modal-dialog";
import { FormError } from "@/components/ui/form-message";
import { utcMinute } from "@/lib/domain/utc-minute";

export type Action = "advance" | "pause" | "resume" | "rollback";

/** A roll back that would serve "on" to more subjects than now, and whether this user may confirm it. */
export interface Widening {
  before: string;
  after: string;
  allowed: boolean;
}

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
  widening,
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
  widening: Widening | null;
  formAction: (form: FormData) => void;
  pending: boolean;
  state: RolloutFormState | null;
  onCancel: () => void;
  returnFocusTo: () => HTMLElement | null;
}) {
  const red = rollout.gates.filter((g) => !g.ok);
  const next = rollout.phases[rollout.currentPhase + 1];
  return (
    <ModalDialog title={dialog.title} onClose={onCancel} closable={!pending} returnFocusTo={returnFocusTo}>
      <ActionForm action={formAction} className="mt-4 space-y-4">
        <p className="text-sm text-slate-700" data-testid="consequence">
          {dialog.body}
        </p>
        {action === "advance" && next ? (
          <p className="text-sm break-words text-slate-700" data-testid="advance-audience">
            Advancing serves: <strong>{next.audience}</strong>
          </p>
        ) : null}
        {action === "advance" && next?.reach ? (
          <p className="text-sm text-slate-600" data-testid="advance-reach">
            That is {next.reach}.
          </p>
        ) : null}
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
              <>
                {red.map((g) => (
                  <input key={g.name} type="hidden" name="overrideGates" value={g.name} />
                ))}
                {/* Keyed by the red gates: one that turns red while the dialog is open clears the choice. */}
                <label key={red.map((g) => g.name).join()} className="mt-2 flex items-center gap-2 font-medium">
                  <input type="checkbox" name="override" className="h-4 w-4 rounded border-slate-300" /> Override as admin (reason required,
                  audited)
                </label>
              </>
            ) : (
              <p className="mt-2">This step waits until they are green.</p>
            )}
          </div>
        ) : null}
        {action === "advance" ? <ConditionsToAcknowledge rollout={rollout} /> : null}
        {widening ? (
          <div className="rounded-md bg-amber-50 p-3 text-sm text-amber-900" data-testid="widening">
            <p className="font-medium">
              This widens exposure: {widening.before} → {widening.after}.
            </p>
            {widening.allowed ? (
              <label className="mt-2 flex items-center gap-2 font-medium">
                <input type="checkbox" name="confirmWiden" required className="h-4 w-4 rounded border-slate-300" /> Widen exposure to{" "}
                {widening.after}
              </label>
            ) : (
              <p className="mt-2">On-call may only narrow exposure: use Kill to turn the flag off.</p>
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
            maxLength={REASON_MAX}
            data-autofocus
            className="mt-1"
          />
        </label>
        {state &&
        (state.status === "error" || state.status === "invalid" || state.status === "blocked") &&
        (state.message || state.fields?.reason) ? (
          <FormError>{state.fields?.reason ?? state.message}</FormError>
        ) : null}
        <div className="flex flex-wrap justify-end gap-2">
          <Button variant="secondary" type="button" onClick={onCancel}>
            Cancel
          </Button>
          <Button
            variant={action === "rollback" ? "danger" : "primary"}
            type="submit"
            disabled={pending || widening?.allowed === false || (action === "advance" && red.length > 0 && !isAdmin)}
          >
            {pending ? "Working…" : dialog.confirm}
          </Button>
        </div>
      </ActionForm>
    </ModalDialog>
  );
}

/**
 * The next phase's conditional approvals, quoted, with the box the person advancing ticks to say they
 * read them (the server refuses the advance without it).
 */
function ConditionsToAcknowledge({ rollout }: { rollout: RolloutDto }) {
  const next = rollout.currentPhase + 1;
  const conditional = rollout.approvals.filter((a) => a.phaseIndex === next && a.state === "live" && a.decision === "conditional");
  if (conditional.length === 0) return null;
  return (
    <div className="rounded-md bg-amber-50 p-3 text-sm text-amber-900 ring-1 ring-amber-200" data-testid="approval-conditions">
      <p className="font-medium">Approved with conditions:</p>
      <ul className="mt-1 list-disc space-y-1 pl-5">
        {conditional.map((a) => (
          <li key={a.id}>
            “{a.conditions}” — {a.signer.name}
            {a.notBefore ? ` · not before ${utcMinute(a.notBefore)}` : ""}
            {a.officeHoursTimeZone ? ` · office hours only (Mon–Fri 09:00–17:00 ${a.officeHoursTimeZone})` : ""}
          </li>
        ))}
      </ul>
      {conditional.map((a) => (
        <input key={a.id} type="hidden" name="acknowledgedApprovals" value={a.id} />
      ))}
      {/* Keyed by what it acknowledges: a condition signed while the dialog is open (the page follows
          live) clears the tick, so it is never given to a condition that was not on screen. */}
      <label key={conditional.map((a) => a.id).join()} className="mt-2 flex items-center gap-2 font-medium">
        <input type="checkbox" name="acknowledgeConditions" required className="h-4 w-4 rounded border-slate-300" /> I have read these
        conditions and this step keeps them
      </label>
    </div>
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
