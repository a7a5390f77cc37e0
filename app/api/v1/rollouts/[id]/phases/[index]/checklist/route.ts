import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requireRole } from "@/lib/auth/principal";
import { phaseIndexParam, rolloutIdParam } from "@/lib/rollouts/rollout-params";
import { checklistTickSchema } from "@/lib/rollouts/rollout-schemas";
import { tickChecklist } from "@/lib/rollouts/tick-checklist";

export const POST = route<{ id: string; index: string }>(async ({ req, db, principal, params }) => {
  requireRole(principal, "engineer");
  const target = { rolloutId: rolloutIdParam(params.id), phaseIndex: phaseIndexParam(params.index) };
  const input = parseWith(checklistTickSchema, await readJson(req));
  return json(await tickChecklist(db, principal, target, input));
});
