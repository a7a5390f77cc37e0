import { z } from "zod";
import { plainText } from "../validation/text";

export const MAX_EVENTS_PER_REQUEST = 5000;
export const EVENT_REASONS = ["SPLIT", "TARGETING_MATCH", "DISABLED", "STATIC", "UNKNOWN"] as const;
export type EventReason = (typeof EVENT_REASONS)[number];

const eventSchema = z.strictObject({
  flagKey: plainText({ min: 1, max: 100, trim: false }),
  variant: z.enum(["on", "off"], { error: "must be 'on' or 'off'" }),
  // What served the variant, as the SDK's evaluation said; keeps a split's traffic apart from
  // traffic an allowlist, a kill or a 0/100 % rule served. Absent → UNKNOWN.
  reason: z.enum(EVENT_REASONS, { error: `must be one of ${"SPLIT, TARGETING_MATCH, DISABLED, STATIC, UNKNOWN"}` }).optional(),
  outcome: z.enum(["success", "error"], { error: "must be 'success' or 'error'" }),
  latencyMs: z.number({ error: "must be a number of milliseconds" }).finite().min(0, "must be >= 0").max(3_600_000, "must be <= 3600000"),
  errorCode: plainText({ max: 100, trim: false }).optional(),
  targetingKey: plainText({ max: 200, trim: false }).optional(),
  timestamp: z.union([z.string().datetime({ offset: true, error: "must be an ISO 8601 time" }), z.number().int().positive()]).optional(),
});

export const eventBatchSchema = z.strictObject({
  events: z
    .array(eventSchema, { error: "events must be a list" })
    .min(1, "send at least one event")
    .max(MAX_EVENTS_PER_REQUEST, `at most ${MAX_EVENTS_PER_REQUEST} events per request`),
});
export type EventInput = z.infer<typeof eventSchema>;
