import { z } from "zod";
import { parseWith, readJson, route } from "@/lib/api/http";
import { requirePermission } from "@/lib/auth/permissions";
import { notFound } from "@/lib/errors";
import { deleteWebhook } from "@/lib/notifications/delete-webhook";
import { setWebhookEnabled } from "@/lib/notifications/set-webhook-enabled";
import { webhookIdSchema } from "@/lib/notifications/webhook-schemas";

const patchSchema = z.strictObject({ enabled: z.boolean({ error: "true or false" }) });

/** A path segment that is no webhook id names no webhook. */
function webhookId(raw: string): string {
  const id = webhookIdSchema.safeParse(raw);
  if (!id.success) throw notFound("Webhook");
  return id.data;
}

/** Turns the receiver off or on; either way its pending deliveries are given up. */
export const PATCH = route<{ id: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "webhook.manage");
  const input = parseWith(patchSchema, await readJson(req));
  await setWebhookEnabled(db, principal, { webhookId: webhookId(params.id), enabled: input.enabled });
  return new Response(null, { status: 204 });
});

export const DELETE = route<{ id: string }>(async ({ db, principal, params }) => {
  requirePermission(principal, "webhook.manage");
  await deleteWebhook(db, principal, webhookId(params.id));
  return new Response(null, { status: 204 });
});
