import { route } from "@/lib/api/http";
import { requirePermission } from "@/lib/auth/permissions";
import { revokeApiToken } from "@/lib/tokens/revoke-api-token";
import { pathId } from "@/lib/validation/path-id";

/** Revokes the token: 204 once this instance refuses it; again, or for a revoked one, 204 too. */
export const DELETE = route<{ id: string }>(async ({ db, principal, params }) => {
  requirePermission(principal, "token.manage");
  await revokeApiToken(db, principal, pathId(params.id, "API token"));
  return new Response(null, { status: 204 });
});
