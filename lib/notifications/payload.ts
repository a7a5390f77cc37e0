import type { DeliveryKind } from "./kinds";

/** What a caller says about an event; becomes a Slack-compatible message plus machine-readable fields. */
export interface NotificationInput<K extends DeliveryKind = DeliveryKind> {
  /** Environment key: the event goes to every enabled webhook of this environment… */
  environment: string;
  /**
   * …or only to these of them (a rollout's communication plan; empty: none). Ignored for SAFETY_KINDS,
   * which always reach every enabled webhook. Not part of the payload.
   */
  webhookIds?: readonly string[] | null;
  kind: K;
  /** One line a person reads, e.g. "checkout-redesign in production advanced to 50 % by ana@example.com". */
  text: string;
  flagKey?: string;
  rolloutId?: string;
  /** Short label → value pairs shown under the text (phase, actor, reason…), also sent in `rollgate.fields`. */
  fields?: Record<string, string>;
  /** Anything else a machine may want, sent as `rollgate.data`. */
  data?: Record<string, unknown>;
}

export interface WebhookPayload {
  text: string;
  blocks: unknown[];
  rollgate: {
    kind: DeliveryKind;
    environment: string;
    flagKey: string | null;
    rolloutId: string | null;
    fields: Record<string, string>;
    data: Record<string, unknown>;
    occurredAt: string;
  };
}

const MAX_TEXT = 2_000;
const MAX_FIELDS = 10;

/** Slack's mrkdwn treats `&`, `<` and `>` as markup: escaped so a name cannot forge a link or mention. */
export function slackEscape(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

const clip = (value: string, max: number) => (value.length > max ? `${value.slice(0, max - 1)}…` : value);

/**
 * `{ text, blocks }` is what a Slack (or Mattermost, Discord `/slack`, Teams workflow) incoming webhook
 * shows; `rollgate` carries the same event for programs, unescaped.
 */
export function buildPayload(input: NotificationInput, occurredAt: Date): WebhookPayload {
  const fields = Object.entries(input.fields ?? {}).slice(0, MAX_FIELDS);
  const text = clip(slackEscape(input.text), MAX_TEXT);
  const blocks: unknown[] = [{ type: "section", text: { type: "mrkdwn", text } }];
  if (fields.length) {
    blocks.push({
      type: "section",
      fields: fields.map(([label, value]) => ({ type: "mrkdwn", text: clip(`*${slackEscape(label)}*\n${slackEscape(value)}`, 2_000) })),
    });
  }
  blocks.push({
    type: "context",
    elements: [{ type: "mrkdwn", text: `Rollgate · ${slackEscape(input.environment)} · ${input.kind}` }],
  });
  return {
    text,
    blocks,
    rollgate: {
      kind: input.kind,
      environment: input.environment,
      flagKey: input.flagKey ?? null,
      rolloutId: input.rolloutId ?? null,
      fields: Object.fromEntries(fields),
      data: input.data ?? {},
      occurredAt: occurredAt.toISOString(),
    },
  };
}
