// What the rollout workflow calls: enqueue inside its own transaction; the worker does the sending.
export { NOTIFICATION_KINDS, ROLLOUT_STEP_KINDS, SAFETY_KINDS, isNotificationKind, type NotificationKind } from "./kinds";
export type { NotificationInput, WebhookPayload } from "./payload";
export { enqueueNotification } from "./enqueue-notification";
