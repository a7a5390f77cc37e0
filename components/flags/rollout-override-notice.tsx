import { Link } from "@/components/ui/link";
import type { LiveRolloutInfo } from "./use-flag-state-form";

/** Why this environment's state is the rollout's to set, and what a change here would do. */
export function RolloutOverrideNotice({
  rollout,
  refused,
  canEdit,
}: {
  rollout: LiveRolloutInfo;
  /** The save was just refused because of it (a rollout the page did not know about yet). */
  refused: boolean;
  canEdit: boolean;
}) {
  return (
    <div className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200" data-testid="rollout-owns-state">
      {refused ? "Not saved: " : ""}
      {rollout.status === "active" ? "An" : "A"} {rollout.status} rollout
      {rollout.phase ? ` (phase ${rollout.phase})` : ""} sets this environment’s state.{" "}
      <Link href={`/rollouts/${rollout.id}`} className="font-semibold underline">
        Change it on the rollout
      </Link>
      {canEdit ? "; a change here is an override: it needs a reason and pauses the rollout." : "."}
    </div>
  );
}
