import type { Tx } from "../db/client";
import { AppError } from "../errors";

/** One of the environment's webhooks as the plan editor and the approval form show it. */
export interface WebhookChoice {
  id: string;
  name: string;
  /** Only the host: a webhook's path often is its secret (Slack, Teams). */
  host: string;
  enabled: boolean;
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(invalid URL)";
  }
}

/** The environment's webhooks, by name: what a communication plan may choose from. */
export async function webhookChoices(tx: Tx, environment: string): Promise<WebhookChoice[]> {
  const rows = await tx.webhook.findMany({ where: { environmentKey: environment }, orderBy: [{ name: "asc" }, { createdAt: "asc" }] });
  return rows.map((w) => ({ id: w.id, name: w.name, host: hostOf(w.url), enabled: w.enabled }));
}

/** The plan as stored: null (every enabled webhook) or the chosen ids, each once, in a stable order. */
export function normalizeRecipients(ids: readonly string[] | null): string[] | null {
  return ids === null ? null : [...new Set(ids.map((id) => id.toLowerCase()))].sort();
}

export const sameRecipients = (a: readonly string[] | null, b: readonly string[] | null) =>
  JSON.stringify(normalizeRecipients(a)) === JSON.stringify(normalizeRecipients(b));

/**
 * A plan may only name webhooks of its own environment: another environment's receiver (say
 * staging's channel on a production rollout) or an id that is no webhook is refused, naming it.
 * 422 like other references to something that does not fit (an incident's assignee).
 */
export async function assertEnvironmentWebhooks(tx: Tx, environment: string, ids: readonly string[] | null): Promise<void> {
  if (!ids?.length) return;
  const found = await tx.webhook.findMany({ where: { id: { in: [...ids] } }, select: { id: true, environmentKey: true } });
  for (const id of ids) {
    const hook = found.find((w) => w.id === id);
    if (hook?.environmentKey === environment) continue;
    const message = hook ? `'${id}' is a webhook of ${hook.environmentKey}, not of ${environment}` : `'${id}' is not a webhook`;
    throw new AppError("UNPROCESSABLE", `The communication plan names a webhook ${environment} does not have`, {
      fields: { notifyWebhookIds: message },
    });
  }
}
