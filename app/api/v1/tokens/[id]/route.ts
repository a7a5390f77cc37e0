import { z } from "zod";
import { route } from "@/lib/api/http";
import { requirePermission } from "@/lib/auth/permissions";
import { notFound } from "@/lib/errors";
import { revokeApiToken } from "@/lib/tokens/revoke-api-token";

/** Revokes the token: 204 once this instance refuses it; again, or for a revoked one, 204 too. */
export const DELETE = route<{ id: string }>(async ({ db, principal, params }) => {
  requirePermission(principal, "token.manage");
  const id = z.string().uuid().safeParse(params.id);
  if (!id.success) throw notFound("API token");
  await revokeApiToken(db, principal, id.data);
  return new Response(null, { status: 204 });
});
