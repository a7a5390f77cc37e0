import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requirePermission } from "@/lib/auth/permissions";
import { createApiToken } from "@/lib/tokens/create-api-token";
import { listApiTokens } from "@/lib/tokens/list-api-tokens";
import { createApiTokenSchema } from "@/lib/tokens/token-schemas";

export const GET = route(async ({ db, principal }) => json({ tokens: await listApiTokens(db, principal) }));

/** The secret is in this answer only: the database keeps its hash. */
export const POST = route(async ({ req, db, principal }) => {
  requirePermission(principal, "token.manage");
  const input = parseWith(createApiTokenSchema, await readJson(req));
  return json(await createApiToken(db, principal, input), 201);
});
