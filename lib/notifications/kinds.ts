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

/** Sent only by an admin's "send test" button, to one webhook. */
export const TEST_KIND = "webhook.test";
export type DeliveryKind = NotificationKind | typeof TEST_KIND;

export const isNotificationKind = (value: string): value is NotificationKind => (NOTIFICATION_KINDS as readonly string[]).includes(value);
