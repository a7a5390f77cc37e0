import type { Db } from "../db/client";
import { type Principal } from "../auth/principal";
import { requirePermission } from "../auth/permissions";

export interface ApiTokenDto {
  id: string;
  name: string;
  kind: "user" | "sdk";
  owner: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revoked: boolean;
}

export async function listApiTokens(db: Db, principal: Principal | null): Promise<ApiTokenDto[]> {
  requirePermission(principal, "token.manage");
  const rows = await db.apiToken.findMany({ include: { user: true }, orderBy: { createdAt: "desc" } });
  return rows.map((t) => ({
    id: t.id,
    name: t.name,
    kind: t.kind === "sdk" ? "sdk" : "user",
    owner: t.kind === "sdk" ? `environment ${t.environmentKey}` : (t.user?.email ?? "—"),
    prefix: t.tokenPrefix,
    createdAt: t.createdAt.toISOString(),
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    revoked: t.revokedAt !== null,
  }));
}
