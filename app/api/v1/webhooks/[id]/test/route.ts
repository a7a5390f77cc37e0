import { json, route } from "@/lib/api/http";
import { requirePermission } from "@/lib/auth/permissions";
import { notFound } from "@/lib/errors";
import { sendTestWebhook } from "@/lib/notifications/send-test-webhook";
import { webhookIdSchema } from "@/lib/notifications/webhook-schemas";

/** Queues a test message: 202, and the deliveries in `GET /api/v1/webhooks` say whether it arrived. */
export const POST = route<{ id: string }>(async ({ db, principal, params }) => {
  requirePermission(principal, "webhook.manage");
  const id = webhookIdSchema.safeParse(params.id);
  if (!id.success) throw notFound("Webhook");
  await sendTestWebhook(db, principal, id.data);
  return json({ queued: true }, 202);
});
