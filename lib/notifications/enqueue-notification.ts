import type { Tx } from "../db/client";
import { SAFETY_KINDS, type NotificationKind } from "./kinds";
import { buildPayload, type NotificationInput } from "./payload";

/** Channel the delivery worker LISTENs on; notified on commit of a transaction that enqueued. */
export const WEBHOOK_CHANNEL = "rollgate_webhooks";

/**
 * Writes one outbox row per enabled webhook of the environment (or of `input.webhookIds` among them),
 * inside the caller's transaction: a rolled-back action sends nothing, and the action does no network
 * I/O (the delivery worker sends). Returns how many deliveries were queued (0 when no webhook applies).
 */
export async function enqueueNotification(tx: Tx, input: NotificationInput<NotificationKind>, now = new Date()): Promise<number> {
  const payload = JSON.stringify(buildPayload(input, now));
  const everyone = input.webhookIds == null || (SAFETY_KINDS as readonly string[]).includes(input.kind);
  const only = [...(input.webhookIds ?? [])];
  const queued = await tx.$executeRaw`
    INSERT INTO webhook_deliveries (webhook_id, kind, payload)
    SELECT id, ${input.kind}, ${payload}::jsonb FROM webhooks
    WHERE environment_key = ${input.environment} AND enabled AND (${everyone}::boolean OR id = ANY(${only}::uuid[]))`;
  if (queued > 0) await wakeDeliveryWorkers(tx);
  return queued;
}

/** NOTIFY is transactional: workers hear it when (and only if) the caller's transaction commits. */
export async function wakeDeliveryWorkers(tx: Tx): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${WEBHOOK_CHANNEL}, '')`;
}
