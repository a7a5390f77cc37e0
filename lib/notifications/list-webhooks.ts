import type { Db } from "../db/client";
import { type Principal } from "../auth/principal";
import { maskWebhookUrl } from "./webhook-schemas";
import { requirePermission } from "../auth/permissions";

export interface WebhookDto {
  id: string;
  environment: string;
  name: string;
  /** Scheme and host only: the full URL is a secret. */
  url: string;
  enabled: boolean;
  createdAt: string;
}

export interface WebhookDeliveryDto {
  id: string;
  webhookName: string;
  environment: string;
  kind: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  nextAttemptAt: string | null;
}

/** Every webhook and the most recent deliveries, for the admin page. */
export async function listWebhooks(
  db: Db,
  principal: Principal | null,
  options: { deliveries?: number } = {},
): Promise<{ webhooks: WebhookDto[]; deliveries: WebhookDeliveryDto[] }> {
  requirePermission(principal, "webhook.manage");
  const [webhooks, deliveries] = await Promise.all([
    db.webhook.findMany({ orderBy: [{ environmentKey: "asc" }, { createdAt: "asc" }] }),
    db.webhookDelivery.findMany({
      orderBy: { createdAt: "desc" },
      take: options.deliveries ?? 50,
      include: { webhook: { select: { name: true, environmentKey: true } } },
    }),
  ]);
  return {
    webhooks: webhooks.map((w) => ({
      id: w.id,
      environment: w.environmentKey,
      name: w.name,
      url: maskWebhookUrl(w.url),
      enabled: w.enabled,
      createdAt: w.createdAt.toISOString(),
    })),
    deliveries: deliveries.map((d) => ({
      id: d.id,
      webhookName: d.webhook.name,
      environment: d.webhook.environmentKey,
      kind: d.kind,
      status: d.status as WebhookDeliveryDto["status"],
      attempts: d.attempts,
      lastStatus: d.lastStatus,
      lastError: d.lastError,
      createdAt: d.createdAt.toISOString(),
      deliveredAt: d.deliveredAt?.toISOString() ?? null,
      nextAttemptAt: d.status === "pending" ? d.nextAttemptAt.toISOString() : null,
    })),
  };
}
