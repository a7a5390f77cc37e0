import { json, parseWith, readJson, route } from "@/lib/api/http";
import { phaseIndexParam, rolloutIdParam } from "@/lib/rollouts/rollout-params";
import { approvalRequestSchema } from "@/lib/rollouts/rollout-schemas";
import { requestApproval } from "@/lib/rollouts/request-approval";
import { requirePermission } from "@/lib/auth/permissions";

export const POST = route<{ id: string; index: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "rollout.request_approval");
  const target = { rolloutId: rolloutIdParam(params.id), phaseIndex: phaseIndexParam(params.index) };
  const input = parseWith(approvalRequestSchema, await readJson(req));
  return json(await requestApproval(db, principal, target, input), 201);
});
