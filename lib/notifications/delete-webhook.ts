import type { Db } from "../db/client";
import { notFound } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import { maskWebhookUrl } from "./webhook-schemas";
import { requirePermission } from "../auth/permissions";

/** Removes a webhook with its delivery history; pending deliveries go with it (admins only, audited). */
export async function deleteWebhook(db: Db, principal: Principal | null, webhookId: string): Promise<void> {
  const admin = requirePermission(principal, "webhook.manage");
  await db.$transaction(async (tx) => {
    // The audit chain's lock first (its entry would take it last): a transaction that queues a
    // delivery to this webhook after its own audit entry holds that lock while its foreign key waits
    // for the row deleted here, so deleting first and then waiting for the lock was a deadlock.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(7346010001)`;
    const rows = await tx.$queryRaw<{ environment: string; name: string; url: string; enabled: boolean }[]>`
      DELETE FROM webhooks WHERE id = ${webhookId}::uuid RETURNING environment_key AS environment, name, url, enabled`;
    const webhook = rows[0];
    if (!webhook) throw notFound("Webhook");
    await recordAudit(tx, {
      actor: { id: admin.userId, label: actorLabel(admin) },
      action: "webhook.delete",
      target: { type: "webhook", id: webhookId },
      before: { environment: webhook.environment, name: webhook.name, url: maskWebhookUrl(webhook.url), enabled: webhook.enabled },
    });
  });
}
