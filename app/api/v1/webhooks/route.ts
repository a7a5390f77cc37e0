import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requirePermission } from "@/lib/auth/permissions";
import { createWebhook } from "@/lib/notifications/create-webhook";
import { listWebhooks } from "@/lib/notifications/list-webhooks";
import { createWebhookSchema } from "@/lib/notifications/webhook-schemas";

/** The receivers (URLs masked: each is a secret) and the 50 latest deliveries. */
export const GET = route(async ({ db, principal }) => json(await listWebhooks(db, principal)));

export const POST = route(async ({ req, db, principal }) => {
  requirePermission(principal, "webhook.manage");
  const input = parseWith(createWebhookSchema, await readJson(req));
  return json(await createWebhook(db, principal, input), 201);
});
