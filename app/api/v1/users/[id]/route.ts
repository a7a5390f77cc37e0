import { z } from "zod";
import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requirePermission } from "@/lib/auth/permissions";
import { notFound } from "@/lib/errors";
import { updateUser } from "@/lib/users/update-user";
import { patchUserSchema } from "@/lib/users/user-schemas";

/** Roles, disabled or both; 422 when no active admin would remain. */
export const PATCH = route<{ id: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "user.manage");
  const input = parseWith(patchUserSchema, await readJson(req));
  const id = z.string().uuid().safeParse(params.id);
  if (!id.success) throw notFound("User");
  return json(await updateUser(db, principal, { ...input, userId: id.data }));
});
