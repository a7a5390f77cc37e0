import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requirePermission } from "@/lib/auth/permissions";
import { createApiToken } from "@/lib/tokens/create-api-token";
import { decodeTokenCursor, DEFAULT_TOKEN_PAGE, listApiTokenPage, MAX_TOKEN_PAGE } from "@/lib/tokens/list-api-tokens";
import { createApiTokenSchema } from "@/lib/tokens/token-schemas";
import { pageQuery } from "@/lib/validation/page-query";

const querySchema = pageQuery(decodeTokenCursor, MAX_TOKEN_PAGE, DEFAULT_TOKEN_PAGE);

export const GET = route(async ({ req, db, principal }) => {
  requirePermission(principal, "token.manage");
  const query = parseWith(querySchema, Object.fromEntries(new URL(req.url).searchParams));
  return json(await listApiTokenPage(db, principal, { limit: query.limit, after: query.cursor }));
});

/** The secret is in this answer only: the database keeps its hash. */
export const POST = route(async ({ req, db, principal }) => {
  requirePermission(principal, "token.manage");
  const input = parseWith(createApiTokenSchema, await readJson(req));
  return json(await createApiToken(db, principal, input), 201);
});
