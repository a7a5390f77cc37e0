import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requireRole } from "@/lib/auth/principal";
import { phaseIndexParam, rolloutIdParam } from "@/lib/rollouts/rollout-params";
import { approvalFormSchema } from "@/lib/rollouts/rollout-schemas";
import { signApproval } from "@/lib/rollouts/sign-approval";

export const POST = route<{ id: string; index: string }>(async ({ req, db, principal, params }) => {
  requireRole(principal, "product_owner");
  const target = { rolloutId: rolloutIdParam(params.id), phaseIndex: phaseIndexParam(params.index) };
  const input = parseWith(approvalFormSchema, await readJson(req));
  return json(await signApproval(db, principal, target, input), 201);
});
