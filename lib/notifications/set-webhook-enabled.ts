import type { Db } from "../db/client";
import { notFound } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import type { SetWebhookEnabledInput } from "./webhook-schemas";
import { requirePermission } from "../auth/permissions";

/**
 * Turns a webhook off or on again. Turning it off also gives up its pending deliveries, so switching
 * a receiver back on later does not flood it with stale news.
 */
export async function setWebhookEnabled(db: Db, principal: Principal | null, input: SetWebhookEnabledInput): Promise<void> {
  const admin = requirePermission(principal, "webhook.manage");
  await db.$transaction(async (tx) => {
    const current = await tx.webhook.findUnique({ where: { id: input.webhookId }, select: { enabled: true } });
    if (!current) throw notFound("Webhook");
    if (current.enabled === input.enabled) return; // nothing to change, nothing to audit
    await tx.webhook.update({ where: { id: input.webhookId }, data: { enabled: input.enabled } });
    if (!input.enabled) {
      await tx.webhookDelivery.updateMany({
        where: { webhookId: input.webhookId, status: "pending" },
        data: { status: "failed", lastError: "webhook disabled before delivery" },
      });
    }
    await recordAudit(tx, {
      actor: { id: admin.userId, label: actorLabel(admin) },
      action: input.enabled ? "webhook.enable" : "webhook.disable",
      target: { type: "webhook", id: input.webhookId },
      before: { enabled: current.enabled },
      after: { enabled: input.enabled },
    });
  });
}
