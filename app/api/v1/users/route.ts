import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requirePermission } from "@/lib/auth/permissions";
import { createUser } from "@/lib/users/create-user";
import { listUsers } from "@/lib/users/list-users";
import { createUserSchema } from "@/lib/users/user-schemas";

export const GET = route(async ({ db, principal }) => json({ users: await listUsers(db, principal) }));

export const POST = route(async ({ req, db, principal }) => {
  requirePermission(principal, "user.manage");
  const input = parseWith(createUserSchema, await readJson(req));
  return json(await createUser(db, principal, input), 201);
});
