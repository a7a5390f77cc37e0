import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requirePermission } from "@/lib/auth/permissions";
import { updateUser } from "@/lib/users/update-user";
import { patchUserSchema } from "@/lib/users/user-schemas";
import { pathId } from "@/lib/validation/path-id";

/** Roles, disabled or both; 422 when no active admin would remain. */
export const PATCH = route<{ id: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "user.manage");
  const input = parseWith(patchUserSchema, await readJson(req));
  return json(await updateUser(db, principal, { ...input, userId: pathId(params.id, "User") }));
});
