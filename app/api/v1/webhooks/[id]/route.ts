import { z } from "zod";
import { parseWith, readJson, route } from "@/lib/api/http";
import { requirePermission } from "@/lib/auth/permissions";
import { deleteWebhook } from "@/lib/notifications/delete-webhook";
import { setWebhookEnabled } from "@/lib/notifications/set-webhook-enabled";
import { pathId } from "@/lib/validation/path-id";

const patchSchema = z.strictObject({ enabled: z.boolean({ error: "true or false" }) });

/** Turns the receiver off or on; either way its pending deliveries are given up. */
export const PATCH = route<{ id: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "webhook.manage");
  const input = parseWith(patchSchema, await readJson(req));
  await setWebhookEnabled(db, principal, { webhookId: pathId(params.id, "Webhook"), enabled: input.enabled });
  return new Response(null, { status: 204 });
});

export const DELETE = route<{ id: string }>(async ({ db, principal, params }) => {
  requirePermission(principal, "webhook.manage");
  await deleteWebhook(db, principal, pathId(params.id, "Webhook"));
  return new Response(null, { status: 204 });
});
