import type { Db } from "../db/client";
import { notFound } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import type { SetWebhookEnabledInput } from "./webhook-schemas";
import { requirePermission } from "../auth/permissions";

/**
 * Turns a webhook off or on again. Either way its pending deliveries are given up, so switching a
 * receiver back on does not flood it with stale news: turning it off gives up what was queued, and
 * turning it on what a transaction that still saw it enabled queued while it was being turned off
 * (committed after the disable, so the disable could not see it). The row is locked, so two toggles
 * at once are one change and one audit entry, not two.
 */
export async function setWebhookEnabled(db: Db, principal: Principal | null, input: SetWebhookEnabledInput): Promise<void> {
  const admin = requirePermission(principal, "webhook.manage");
  await db.$transaction(async (tx) => {
    // NO KEY UPDATE: it still makes two toggles take turns, but not a delivery being queued (its
    // foreign key takes KEY SHARE) by a transaction that already holds the audit chain's lock, which
    // this one takes next: FOR UPDATE made the two wait for each other (a deadlock).
    const [current] = await tx.$queryRaw<{ enabled: boolean }[]>`
      SELECT enabled FROM webhooks WHERE id = ${input.webhookId}::uuid FOR NO KEY UPDATE`;
    if (!current) throw notFound("Webhook");
    if (current.enabled === input.enabled) return; // nothing to change, nothing to audit
    await tx.webhook.update({ where: { id: input.webhookId }, data: { enabled: input.enabled } });
    await tx.webhookDelivery.updateMany({
      where: { webhookId: input.webhookId, status: "pending" },
      data: { status: "failed", lastError: "webhook disabled before delivery" },
    });
    await recordAudit(tx, {
      actor: { id: admin.userId, label: actorLabel(admin) },
      action: input.enabled ? "webhook.enable" : "webhook.disable",
      target: { type: "webhook", id: input.webhookId },
      before: { enabled: current.enabled },
      after: { enabled: input.enabled },
    });
  });
}
