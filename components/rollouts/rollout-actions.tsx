"use client";

import { useActionState, useEffect, useRef, useState } from "react";
import { useRouter } from "next/navigation";
import { transitionRolloutAction, type RolloutFormState } from "@/app/(dashboard)/rollouts/actions";
import type { RolloutDto } from "@/lib/rollouts/rollout-view";
import { describeExposure, widensExposure, type FlagExposure } from "@/lib/domain/flag-exposure";
import { Button } from "../ui/button";
import { RolloutConflictDialog, TransitionDialog, type Action, type Widening } from "./rollout-dialogs";
import { FormError, FormSuccess } from "@/components/ui/form-message";

// A phase serving segments is said in full (its audience); "its allowlist (0 keys)" would hide them.
const pct = (p: RolloutDto["phases"][number] | undefined) =>
  p ? (p.segments.length ? p.audience : p.percent === 0 ? `its allowlist (${p.allowlist.length} keys)` : `${p.percent} % of users`) : "";

/** What exactly will happen, in words, before anyone clicks "confirm". */
function consequence(
  r: RolloutDto,
  action: Action,
  change: { before: FlagExposure; after: FlagExposure } | null,
): { title: string; body: string; confirm: string } {
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
        // The dialog says the next phase's audience in full below ("Advancing serves: …").
        body: `${where} will serve “on” to ${next.segments.length ? "the audience below" : pct(next)}${current ? ` (now ${pct(current)})` : " (the flag is enabled now)"}. SDKs pick it up within a second.`,
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
      // A draft never changed the flag: there is nothing to roll back, only a plan to drop.
      if (r.status === "draft")
        return {
          title: "Discard the draft",
          body: `${where} does not change (the draft never touched it); the plan is closed as rolled back and kept in the history.`,
          confirm: "Discard draft",
        };
      return {
        title: "Roll back",
        body: `${where} goes back to the state it had before the rollout started (enabled, percentage and allowlist), in one step, and the plan ends as rolled back.${change ? ` Exposure: ${describeExposure(change.before)} → ${describeExposure(change.after)}.` : ""}`,
        confirm: "Roll back now",
      };
  }
}

export function RolloutActions({
  rollout,
  canEngineer,
  canRollback,
  isAdmin,
  mayWiden,
  flagNow,
}: {
  rollout: RolloutDto;
  canEngineer: boolean;
  canRollback: boolean;
  isAdmin: boolean;
  /** May confirm a roll back that serves "on" to more subjects than now (on-call alone may not). */
  mayWiden: boolean;
  /** The flag's state in the rollout's environment as the page read it. */
  flagNow?: FlagExposure;
}) {
  const router = useRouter();
  const [state, formAction, pending] = useActionState<RolloutFormState, FormData>(transitionRolloutAction, { status: "idle" });
  const [open, setOpen] = useState<Action | null>(null);
  const [seen, setSeen] = useState<RolloutFormState | null>(null);
  const live = rollout.status === "draft" || rollout.status === "active" || rollout.status === "paused";

  // The result the open dialog started from: anything newer is the answer to its own submission.
  const [openedWith, setOpenedWith] = useState<RolloutFormState | null>(null);
  // Where focus goes after a dialog whose button is gone (Pause became Resume) or that opened by
  // itself (the conflict): back to this rollout's actions.
  const actionsRef = useRef<HTMLDivElement>(null);
  const firstAction = () => actionsRef.current?.querySelector<HTMLElement>("button:not([disabled])") ?? null;
  const answered = open !== null && state !== openedWith;

  useEffect(() => {
    // Done, or refused on gates or conditions that moved since the page was drawn: either way the
    // page (and the open dialog) shows the rollout as it is now.
    if (state.status === "ok" || state.status === "blocked") router.refresh();
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
      // An admin who is no engineer advances only by overriding red gates: with every gate green there
      // is nothing to override, and the server would refuse the plain step.
      allowed: (canEngineer || (isAdmin && rollout.gates.some((g) => !g.ok))) && rollout.status !== "paused",
    },
    { action: "pause", label: "Pause", variant: "secondary", allowed: canEngineer && rollout.status === "active" },
    { action: "resume", label: "Resume", variant: "secondary", allowed: canEngineer && rollout.status === "paused" },
    { action: "rollback", label: rollout.status === "draft" ? "Discard draft" : "Roll back", variant: "danger", allowed: canRollback },
  ];
  const allowed = buttons.filter((b) => b.allowed);
  // A viewer (or anyone with no action here) gets no empty row where the buttons would be.
  if (allowed.length === 0) return null;
  const change = flagNow && rollout.rollbackTo ? { before: flagNow, after: rollout.rollbackTo } : null;
  // The server decides again on the state it locks; this only says beforehand what it will say.
  const widening: Widening | null =
    change && widensExposure(change.before, change.after)
      ? { before: describeExposure(change.before), after: describeExposure(change.after), allowed: mayWiden }
      : null;
  const dialog = open && !finished ? consequence(rollout, open, change) : null;
  const conflict = state.status === "conflict" && seen !== state ? state.current : undefined;
  return (
    <div className="space-y-3">
      <div ref={actionsRef} className="flex flex-wrap gap-2">
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
      {state.status === "ok" && state.message ? <FormSuccess>{state.message}</FormSuccess> : null}
      {dialog === null &&
      (state.status === "error" || state.status === "invalid" || state.status === "blocked") &&
      (state.message || state.fields?.reason) ? (
        <FormError>{state.fields?.reason ?? state.message}</FormError>
      ) : null}

      {dialog && open ? (
        <TransitionDialog
          rollout={rollout}
          action={open}
          dialog={dialog}
          isAdmin={isAdmin}
          widening={open === "rollback" ? widening : null}
          formAction={formAction}
          pending={pending}
          state={answered ? state : null}
          onCancel={() => setOpen(null)}
          returnFocusTo={firstAction}
        />
      ) : null}

      {conflict ? (
        <RolloutConflictDialog
          version={rollout.version}
          current={conflict}
          onCancel={() => setSeen(state)}
          returnFocusTo={firstAction}
          onReload={() => {
            setSeen(state);
            router.refresh();
          }}
        />
      ) : null}
    </div>
  );
}
