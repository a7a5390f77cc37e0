import { json, parseWith, readJson, route } from "@/lib/api/http";
import { phaseIndexParam, rolloutIdParam } from "@/lib/rollouts/rollout-params";
import { checklistTickSchema } from "@/lib/rollouts/rollout-schemas";
import { tickChecklist } from "@/lib/rollouts/tick-checklist";
import { requirePermission } from "@/lib/auth/permissions";

export const POST = route<{ id: string; index: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "rollout.checklist");
  const target = { rolloutId: rolloutIdParam(params.id), phaseIndex: phaseIndexParam(params.index) };
  const input = parseWith(checklistTickSchema, await readJson(req));
  return json(await tickChecklist(db, principal, target, input));
});
