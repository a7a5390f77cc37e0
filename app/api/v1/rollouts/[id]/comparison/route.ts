import { json, route } from "@/lib/api/http";
import { requireUser } from "@/lib/auth/principal";
import { getRolloutComparison } from "@/lib/metrics/get-rollout-comparison";
import { rolloutIdParam } from "@/lib/rollouts/rollout-params";

/** The rollout page's "change vs control" numbers (lib/metrics/rollout-comparison.ts), re-read by its chart when events land. */
export const GET = route<{ id: string }>(async ({ db, principal, params }) => {
  requireUser(principal);
  return json(await getRolloutComparison(db, rolloutIdParam(params.id)));
});
