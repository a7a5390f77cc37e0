/** What the rollout workflow and the kill switch report to webhooks. */
export const NOTIFICATION_KINDS = [
  "flag.killed",
  "flag.restored",
  "guardrail.breached",
  "approval.requested",
  "approval.signed",
  "rollout.advanced",
  "rollout.paused",
  "rollout.resumed",
  "rollout.rolled_back",
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * Safety notices: every enabled webhook of the environment hears them, whatever a rollout's
 * communication plan says. Whoever is on call must learn of a kill or a breach even if the plan's
 * author left their channel out.
 */
export const SAFETY_KINDS = ["flag.killed", "flag.restored", "guardrail.breached"] as const satisfies readonly NotificationKind[];

/** A rollout's own steps: sent to the webhooks its communication plan names. */
export const ROLLOUT_STEP_KINDS = NOTIFICATION_KINDS.filter(
  (k): k is Exclude<NotificationKind, (typeof SAFETY_KINDS)[number]> => !(SAFETY_KINDS as readonly string[]).includes(k),
);

/** Each kind as a step a person recognises, for the plan editor and the approval form. */
export const KIND_LABELS: Record<NotificationKind, string> = {
  "flag.killed": "kill",
  "flag.restored": "restore",
  "guardrail.breached": "guardrail breach",
  "approval.requested": "approval requested",
  "approval.signed": "approval signed",
  "rollout.advanced": "start and advance",
  "rollout.paused": "pause",
  "rollout.resumed": "resume",
  "rollout.rolled_back": "roll back",
};

/** "kill, restore and guardrail breach". */
export function kindsInWords(kinds: readonly NotificationKind[]): string {
  const words = kinds.map((k) => KIND_LABELS[k]);
  return words.length > 1 ? `${words.slice(0, -1).join(", ")} and ${words.at(-1)}` : (words[0] ?? "");
}

/** Sent only by an admin's "send test" button, to one webhook. */
export const TEST_KIND = "webhook.test";
export type DeliveryKind = NotificationKind | typeof TEST_KIND;

export const isNotificationKind = (value: string): value is NotificationKind => (NOTIFICATION_KINDS as readonly string[]).includes(value);
