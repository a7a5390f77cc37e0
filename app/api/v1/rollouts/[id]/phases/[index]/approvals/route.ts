import { json, parseWith, readJson, route } from "@/lib/api/http";
import { phaseIndexParam, rolloutIdParam } from "@/lib/rollouts/rollout-params";
import { approvalFormSchema } from "@/lib/rollouts/rollout-schemas";
import { signApproval } from "@/lib/rollouts/sign-approval";
import { requirePermission } from "@/lib/auth/permissions";

export const POST = route<{ id: string; index: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "rollout.approve");
  const target = { rolloutId: rolloutIdParam(params.id), phaseIndex: phaseIndexParam(params.index) };
  const input = parseWith(approvalFormSchema, await readJson(req));
  return json(await signApproval(db, principal, target, input), 201);
});
