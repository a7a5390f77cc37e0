import { json, parseWith, readJson, route } from "../api/http";
import { requireUser } from "../auth/principal";
import { rolloutIdParam } from "./rollout-params";
import { transitionSchema } from "./rollout-schemas";
import { transitionRollout, type TransitionAction } from "./transition-rollout";

/** The four `POST /api/v1/rollouts/{id}/<action>` handlers differ only in the action. */
export function transitionRoute(action: TransitionAction) {
  return route<{ id: string }>(async ({ req, db, principal, params }) => {
    requireUser(principal);
    const id = rolloutIdParam(params.id);
    const input = parseWith(transitionSchema, await readJson(req));
    return json(await transitionRollout(db, principal, id, action, input));
  });
}
