import { json, parseWith, readJson, route } from "@/lib/api/http";
import { updateFlagStateSchema } from "@/lib/flags/flag-schemas";
import { updateFlagState } from "@/lib/flags/update-flag-state";
import { requirePermission } from "@/lib/auth/permissions";

export const PATCH = route<{ key: string; env: string }>(async ({ req, db, principal, params }) => {
  // Authorise before reading the body, so a caller without the role learns nothing from validation.
  // Admins pass here only to override a live rollout; the service refuses them an ordinary edit.
  requirePermission(principal, "flag_state.override");
  const input = parseWith(updateFlagStateSchema, await readJson(req));
  return json(await updateFlagState(db, principal, { flagKey: params.key, environment: params.env }, input));
});
