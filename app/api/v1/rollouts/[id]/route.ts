import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requireUser } from "@/lib/auth/principal";
import { editRollout } from "@/lib/rollouts/edit-rollout";
import { rolloutIdParam } from "@/lib/rollouts/rollout-params";
import { editRolloutSchema } from "@/lib/rollouts/rollout-schemas";
import { loadRollout } from "@/lib/rollouts/rollout-view";
import { withPhaseReach } from "@/lib/rollouts/phase-reach";
import { requirePermission } from "@/lib/auth/permissions";

export const GET = route<{ id: string }>(async ({ db, principal, params }) => {
  requireUser(principal);
  return json(await withPhaseReach(db, await loadRollout(db, rolloutIdParam(params.id))));
});

export const PATCH = route<{ id: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "rollout.edit");
  const id = rolloutIdParam(params.id);
  const input = parseWith(editRolloutSchema, await readJson(req));
  return json(await editRollout(db, principal, id, input));
});
