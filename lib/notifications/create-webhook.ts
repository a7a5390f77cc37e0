import type { Db } from "../db/client";
import { AppError, validationFailed } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import { maskWebhookUrl, MAX_WEBHOOKS_PER_ENVIRONMENT, type CreateWebhookInput } from "./webhook-schemas";
import { requirePermission } from "../auth/permissions";

/** Registers a receiver for one environment's rollout notifications (admins only, audited). */
export async function createWebhook(db: Db, principal: Principal | null, input: CreateWebhookInput): Promise<{ id: string }> {
  const admin = requirePermission(principal, "webhook.manage");
  return db.$transaction(async (tx) => {
    // Serialises concurrent adds for one environment, so the per-environment limit holds.
    const env = await tx.$queryRaw<{ key: string }[]>`SELECT key FROM environments WHERE key = ${input.environment} FOR SHARE`;
    if (!env[0]) throw validationFailed({ environment: "unknown environment" });
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('rollgate_webhooks:' || ${input.environment}))`;
    if ((await tx.webhook.count({ where: { environmentKey: input.environment } })) >= MAX_WEBHOOKS_PER_ENVIRONMENT) {
      throw new AppError("CONFLICT", `An environment can have at most ${MAX_WEBHOOKS_PER_ENVIRONMENT} webhooks`);
    }
    const webhook = await tx.webhook.create({
      data: { environmentKey: input.environment, name: input.name, url: input.url, createdBy: admin.userId },
      select: { id: true },
    });
    await recordAudit(tx, {
      actor: { id: admin.userId, label: actorLabel(admin) },
      action: "webhook.create",
      target: { type: "webhook", id: webhook.id },
      after: { environment: input.environment, name: input.name, url: maskWebhookUrl(input.url), enabled: true },
    });
    return webhook;
  });
}
