"use client";

import { useActionState, useEffect, useState } from "react";
import { useRouter } from "next/navigation";
import { transitionRolloutAction, type RolloutFormState } from "@/app/(dashboard)/rollouts/actions";
import type { RolloutDto } from "@/lib/rollouts/rollout-view";
import { Button } from "../ui/button";
import { TextArea } from "../ui/field";
import { ActionForm } from "../ui/action-form";

type Action = "advance" | "pause" | "resume" | "rollback";

const pct = (p: RolloutDto["phases"][number] | undefined) =>
  p ? (p.percent === 0 ? `its allowlist (${p.allowlist.length} keys)` : `${p.percent} % of users`) : "";

/** What exactly will happen, in words, before anyone clicks "confirm". */
function consequence(r: RolloutDto, action: Action): { title: string; body: string; confirm: string } {
  const where = `${r.flagKey} in ${r.environment}`;
  const next = r.phases[r.currentPhase + 1];
  const current = r.phases[r.currentPhase];
  switch (action) {
    case "advance":
      if (!next)
        return {
          title: "Complete the rollout",
          body: `${where} stays at ${pct(current)}; the plan is marked completed and no longer gates changes.`,
          confirm: "Complete",
        };
      return {
        title: r.status === "draft" ? "Start the rollout" : `Advance to ${next.name}`,
        body: `${where} will serve “on” to ${pct(next)}${current ? ` (now ${pct(current)})` : " (the flag is enabled now)"}. SDKs pick it up within a second.`,
        confirm: r.status === "draft" ? "Start" : `Advance to ${next.name}`,
      };
    case "pause":
      return {
        title: "Pause the rollout",
        body: `${where} keeps serving ${pct(current)}; nothing advances (also not automatically) until it is resumed.`,
        confirm: "Pause",
      };
    case "resume":
      return {
        title: "Resume the rollout",
        body: `The plan becomes active again at ${current?.name ?? "its current phase"}; advancing needs green gates as before.`,
        confirm: "Resume",
      };
    case "rollback":
      return {
        title: "Roll back",
        body: `${where} goes back to the state it had before the rollout started (enabled, percentage and allowlist), in one step, and the plan ends as rolled back.`,
        confirm: "Roll back now",
      };
  }
}

export function RolloutActions({
  rollout,
  canEngineer,
  canRollback,
  isAdmin,
}: {
  rollout: RolloutDto;
  canEngineer: boolean;
  canRollback: boolean;
  isAdmin: boolean;
}) {
  const router = useRouter();
  const [state, formAction, pending] = useActionState<RolloutFormState, FormData>(transitionRolloutAction, { status: "idle" });
  const [open, setOpen] = useState<Action | null>(null);
  const [seen, setSeen] = useState<RolloutFormState | null>(null);
  const red = rollout.gates.filter((g) => !g.ok);
  const live = rollout.status === "draft" || rollout.status === "active" || rollout.status === "paused";

  // The result the open dialog started from: anything newer is the answer to its own submission.
  const [openedWith, setOpenedWith] = useState<RolloutFormState | null>(null);
  const answered = open !== null && state !== openedWith;

  useEffect(() => {
    if (state.status === "ok") router.refresh();
  }, [state, router]);
  // The dialog stays open (with what was typed) on a refusal, and closes once the step is done or
  // the conflict dialog takes over.
  const finished = answered && (state.status === "ok" || state.status === "conflict");

  if (!live) return null;
  const buttons: { action: Action; label: string; variant: "primary" | "secondary" | "danger"; allowed: boolean }[] = [
    {
      action: "advance",
      label:
        rollout.status === "draft"
          ? "Start rollout"
          : rollout.phases[rollout.currentPhase + 1]
            ? `Advance to ${rollout.phases[rollout.currentPhase + 1]!.name}`
            : "Complete",
      variant: "primary",
      allowed: (canEngineer || isAdmin) && rollout.status !== "paused",
    },
    { action: "pause", label: "Pause", variant: "secondary", allowed: canEngineer && rollout.status === "active" },
    { action: "resume", label: "Resume", variant: "secondary", allowed: canEngineer && rollout.status === "paused" },
    { action: "rollback", label: "Roll back", variant: "danger", allowed: canRollback },
  ];
  const allowed = buttons.filter((b) => b.allowed);
  // A viewer (or anyone with no action here) gets no empty row where the buttons would be.
  if (allowed.length === 0) return null;
  const dialog = open && !finished ? consequence(rollout, open) : null;
  const conflict = state.status === "conflict" && seen !== state ? state.current : undefined;
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap gap-2">
        {allowed.map((b) => (
          <Button
            key={b.action}
            variant={b.variant}
            type="button"
            onClick={() => {
              setOpenedWith(state);
              setOpen(b.action);
            }}
          >
            {b.label}
          </Button>
        ))}
      </div>
      {state.status === "ok" && state.message ? (
        <p className="text-sm text-emerald-700" role="status">
          {state.message}
        </p>
      ) : null}
      {dialog === null && (state.status === "error" || state.status === "invalid" || state.status === "blocked") && state.message ? (
        <p className="text-sm text-red-600" role="alert">
          {state.fields?.reason ?? state.message}
        </p>
      ) : null}

      {dialog && open ? (
        <div
          className="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/40 p-4"
          role="dialog"
          aria-modal="true"
          aria-labelledby="confirm-title"
        >
          <ActionForm
            action={formAction}
            className="max-h-full w-full max-w-md space-y-4 overflow-y-auto rounded-xl bg-white p-6 shadow-xl"
          >
            <h2 id="confirm-title" className="text-lg font-semibold">
              {dialog.title}
            </h2>
            <p className="text-sm text-slate-700" data-testid="consequence">
              {dialog.body}
            </p>
            <input type="hidden" name="rolloutId" value={rollout.id} />
            <input type="hidden" name="action" value={open} />
            <input type="hidden" name="version" value={rollout.version} />
            {open === "advance" && red.length > 0 ? (
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
                    <input type="checkbox" name="override" className="h-4 w-4 rounded border-slate-300" /> Override as admin (reason
                    required, audited)
                  </label>
                ) : (
                  <p className="mt-2">The server will refuse this until they are green.</p>
                )}
              </div>
            ) : null}
            <label className="block text-sm">
              <span className="font-medium text-slate-700">Reason{open === "rollback" ? "" : " (optional)"}</span>
              <TextArea
                name="reason"
                rows={2}
                required={open === "rollback"}
                minLength={open === "rollback" ? 3 : undefined}
                className="mt-1"
              />
            </label>
            {answered && (state.status === "error" || state.status === "invalid" || state.status === "blocked") && state.message ? (
              <p className="text-sm text-red-600" role="alert">
                {state.fields?.reason ?? state.message}
              </p>
            ) : null}
            <div className="flex flex-wrap justify-end gap-2">
              <Button variant="secondary" type="button" onClick={() => setOpen(null)}>
                Cancel
              </Button>
              <Button variant={open === "rollback" ? "danger" : "primary"} type="submit" disabled={pending}>
                {pending ? "Working…" : dialog.confirm}
              </Button>
            </div>
          </ActionForm>
        </div>
      ) : null}

      {conflict ? (
        <div
          className="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/40 p-4"
          role="dialog"
          aria-modal="true"
          aria-labelledby="rollout-conflict"
        >
          <div className="w-full max-w-md rounded-xl bg-white p-6 shadow-xl">
            <h2 id="rollout-conflict" className="text-lg font-semibold">
              Someone else changed this rollout
            </h2>
            <p className="mt-2 text-sm text-slate-600">
              You acted on version {rollout.version}; it is now at version {conflict.version} ({conflict.status.replace("_", " ")}, phase{" "}
              {conflict.currentPhase + 1}). Nothing was changed. Reload to see what happened, then decide again.
            </p>
            <div className="mt-5 flex justify-end gap-2">
              <Button variant="secondary" type="button" onClick={() => setSeen(state)}>
                Cancel
              </Button>
              <Button
                type="button"
                onClick={() => {
                  setSeen(state);
                  router.refresh();
                }}
              >
                Reload
              </Button>
            </div>
          </div>
        </div>
      ) : null}
    </div>
  );
}
