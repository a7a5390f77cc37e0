import { json, route } from "@/lib/api/http";
import { requirePermission } from "@/lib/auth/permissions";
import { sendTestWebhook } from "@/lib/notifications/send-test-webhook";
import { pathId } from "@/lib/validation/path-id";

/** Queues a test message: 202, and the deliveries in `GET /api/v1/webhooks` say whether it arrived. */
export const POST = route<{ id: string }>(async ({ db, principal, params }) => {
  requirePermission(principal, "webhook.manage");
  await sendTestWebhook(db, principal, pathId(params.id, "Webhook"));
  return json({ queued: true }, 202);
});
