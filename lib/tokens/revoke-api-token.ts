import type { Db } from "../db/client";
import { notFound } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import { requirePermission } from "../auth/permissions";

export async function revokeApiToken(db: Db, principal: Principal | null, tokenId: string): Promise<void> {
  const admin = requirePermission(principal, "token.manage");
  await db.$transaction(async (tx) => {
    const { count } = await tx.apiToken.updateMany({ where: { id: tokenId, revokedAt: null }, data: { revokedAt: new Date() } });
    if (count === 0) {
      if (!(await tx.apiToken.findUnique({ where: { id: tokenId } }))) throw notFound("API token");
      return; // already revoked: idempotent, nothing to audit
    }
    await recordAudit(tx, {
      actor: { id: admin.userId, label: actorLabel(admin) },
      action: "api_token.revoke",
      target: { type: "api_token", id: tokenId },
    });
  });
}
