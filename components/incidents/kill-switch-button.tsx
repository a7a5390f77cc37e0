"use client";

import { Link } from "@/components/ui/link";
import { useActionState, useEffect, useState } from "react";
import { useRouter } from "next/navigation";
import { killFlagAction, restoreFlagAction, type IncidentFormState } from "@/app/(dashboard)/incidents/actions";
import { Button } from "../ui/button";
import { KillReasonDialog } from "./kill-reason-dialog";
import { FormError, FormSuccess } from "@/components/ui/form-message";

/**
 * One click, one required reason, done: kills (or restores) a flag in one environment. The dialog
 * says exactly what happens, including that a live rollout is paused and not resumed on restore.
 */
export function KillSwitchButton({
  flagKey,
  environment,
  killed,
  rolloutStatus,
}: {
  flagKey: string;
  environment: string;
  killed: boolean;
  /** The status of the environment's active or paused rollout; null: none; undefined: not known here. */
  rolloutStatus?: string | null;
}) {
  // What the dialog says of a rollout: a kill pauses an active one, a restore leaves a paused one paused.
  const liveRollout = rolloutStatus === undefined ? undefined : rolloutStatus === (killed ? "paused" : "active");
  const router = useRouter();
  const [state, action, pending] = useActionState<IncidentFormState, FormData>(killed ? restoreFlagAction : killFlagAction, {
    status: "idle",
  });
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (state.status === "ok") router.refresh();
  }, [state, router]);
  const label = killed ? `Restore ${environment}` : `Kill in ${environment}`;
  return (
    <div className="space-y-1">
      {/* The name starts with what the button shows (WCAG 2.5.3, label in name: "click Kill in
          production" works by voice), then says which flag: a page can list several. */}
      <Button variant={killed ? "secondary" : "danger"} type="button" onClick={() => setOpen(true)} aria-label={`${label}: ${flagKey}`}>
        {label}
      </Button>
      {state.status === "ok" ? (
        <FormSuccess>
          {state.message}{" "}
          {state.incidentId ? (
            <Link className="font-medium underline" href={`/incidents/${state.incidentId}`}>
              Incident
            </Link>
          ) : null}
        </FormSuccess>
      ) : state.message && !open ? (
        <FormError>{state.message}</FormError>
      ) : null}
      {open ? (
        <KillReasonDialog
          flagKey={flagKey}
          environment={environment}
          restore={killed}
          liveRollout={liveRollout}
          pending={pending}
          onSubmit={(fd) => {
            setOpen(false);
            action(fd);
          }}
          onCancel={() => setOpen(false)}
        />
      ) : null}
    </div>
  );
}
