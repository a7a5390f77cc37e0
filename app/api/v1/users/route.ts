import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requirePermission } from "@/lib/auth/permissions";
import { createUser } from "@/lib/users/create-user";
import { decodeUserCursor, DEFAULT_USER_PAGE, listUserPage, MAX_USER_PAGE } from "@/lib/users/list-users";
import { createUserSchema } from "@/lib/users/user-schemas";
import { pageQuery } from "@/lib/validation/page-query";

const querySchema = pageQuery(decodeUserCursor, MAX_USER_PAGE, DEFAULT_USER_PAGE);

export const GET = route(async ({ req, db, principal }) => {
  requirePermission(principal, "user.manage");
  const query = parseWith(querySchema, Object.fromEntries(new URL(req.url).searchParams));
  return json(await listUserPage(db, principal, { limit: query.limit, after: query.cursor }));
});

export const POST = route(async ({ req, db, principal }) => {
  requirePermission(principal, "user.manage");
  const input = parseWith(createUserSchema, await readJson(req));
  return json(await createUser(db, principal, input), 201);
});
