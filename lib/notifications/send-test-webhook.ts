import type { Db } from "../db/client";
import { AppError, notFound } from "../errors";
import { actorLabel, type Principal } from "../auth/principal";
import { wakeDeliveryWorkers } from "./enqueue-notification";
import { TEST_KIND } from "./kinds";
import { buildPayload } from "./payload";
import { requirePermission } from "../auth/permissions";

/** Queues a test message to one webhook; the deliveries table shows whether the receiver took it. */
export async function sendTestWebhook(db: Db, principal: Principal | null, webhookId: string, now = new Date()): Promise<void> {
  const admin = requirePermission(principal, "webhook.manage");
  await db.$transaction(async (tx) => {
    const webhook = await tx.webhook.findUnique({ where: { id: webhookId }, select: { environmentKey: true, name: true, enabled: true } });
    if (!webhook) throw notFound("Webhook");
    if (!webhook.enabled) throw new AppError("CONFLICT", "Enable the webhook before sending a test");
    const payload = buildPayload(
      {
        environment: webhook.environmentKey,
        kind: TEST_KIND,
        text: `Test from Rollgate: ${webhook.name} receives ${webhook.environmentKey} rollout notifications.`,
        fields: { "Sent by": actorLabel(admin) },
      },
      now,
    );
    await tx.webhookDelivery.create({ data: { webhookId, kind: TEST_KIND, payload: JSON.parse(JSON.stringify(payload)) } });
    await wakeDeliveryWorkers(tx);
  });
}
