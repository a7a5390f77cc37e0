import type { Db } from "../db/client";
import { AppError } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import { displayPrefix, hashSecret, newSecret } from "../auth/secrets";
import type { CreateApiTokenInput } from "./token-schemas";
import { requirePermission } from "../auth/permissions";

/** Returns the secret exactly once; only its hash is stored. */
export async function createApiToken(
  db: Db,
  principal: Principal | null,
  input: CreateApiTokenInput,
): Promise<{ id: string; token: string }> {
  const admin = requirePermission(principal, "token.manage");
  const token = newSecret(input.kind === "sdk" ? "rg_sdk" : "rg_usr");
  return db.$transaction(async (tx) => {
    if (input.kind === "sdk" && !(await tx.environment.findUnique({ where: { key: input.environment } }))) {
      throw new AppError("VALIDATION_FAILED", "Unknown environment", { fields: { environment: "unknown environment" } });
    }
    if (input.kind === "user" && !(await tx.user.findUnique({ where: { id: input.userId } }))) {
      throw new AppError("VALIDATION_FAILED", "Unknown user", { fields: { userId: "unknown user" } });
    }
    const row = await tx.apiToken.create({
      data: {
        name: input.name,
        kind: input.kind,
        userId: input.kind === "user" ? input.userId : null,
        environmentKey: input.kind === "sdk" ? input.environment : null,
        tokenHash: hashSecret(token),
        tokenPrefix: displayPrefix(token),
      },
    });
    await recordAudit(tx, {
      actor: { id: admin.userId, label: actorLabel(admin) },
      action: "api_token.create",
      target: { type: "api_token", id: row.id },
      after: { name: row.name, kind: row.kind, userId: row.userId, environment: row.environmentKey, prefix: row.tokenPrefix },
    });
    return { id: row.id, token };
  });
}
