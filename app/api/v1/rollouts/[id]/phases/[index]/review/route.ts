import { json, route } from "@/lib/api/http";
import { requireUser } from "@/lib/auth/principal";
import { notFound } from "@/lib/errors";
import { loadApprovalPacket } from "@/lib/rollouts/approval-packet";
import { phaseIndexParam, rolloutIdParam } from "@/lib/rollouts/rollout-params";
import { loadRollout } from "@/lib/rollouts/rollout-view";
import { withPhaseReach } from "@/lib/rollouts/phase-reach";

/** What the approval form for one phase shows its signer (lib/rollouts/approval-packet.ts). */
export const GET = route<{ id: string; index: string }>(async ({ db, principal, params }) => {
  requireUser(principal);
  const rollout = await withPhaseReach(db, await loadRollout(db, rolloutIdParam(params.id)));
  const index = phaseIndexParam(params.index);
  if (!rollout.phases[index]) throw notFound(`Phase ${index} of rollout '${rollout.id}'`);
  return json(await loadApprovalPacket(db, rollout, index));
});
