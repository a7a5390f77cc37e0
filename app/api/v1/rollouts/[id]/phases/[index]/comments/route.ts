import { json, parseWith, readJson, route } from "@/lib/api/http";
import { phaseIndexParam, rolloutIdParam } from "@/lib/rollouts/rollout-params";
import { phaseCommentSchema } from "@/lib/rollouts/rollout-schemas";
import { commentOnPhase, listPhaseComments } from "@/lib/rollouts/comment-on-phase";
import { requirePermission } from "@/lib/auth/permissions";
import { requireUser } from "@/lib/auth/principal";

export const GET = route<{ id: string; index: string }>(async ({ db, principal, params }) => {
  requireUser(principal);
  const target = { rolloutId: rolloutIdParam(params.id), phaseIndex: phaseIndexParam(params.index) };
  return json({ comments: await listPhaseComments(db, principal, target) });
});

export const POST = route<{ id: string; index: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "rollout.comment");
  const target = { rolloutId: rolloutIdParam(params.id), phaseIndex: phaseIndexParam(params.index) };
  const input = parseWith(phaseCommentSchema, await readJson(req));
  return json(await commentOnPhase(db, principal, target, input), 201);
});
