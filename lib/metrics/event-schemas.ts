import { z } from "zod";

export const MAX_EVENTS_PER_REQUEST = 5000;

const eventSchema = z.strictObject({
  flagKey: z.string().min(1, "required").max(100),
  variant: z.enum(["on", "off"], { error: "must be 'on' or 'off'" }),
  outcome: z.enum(["success", "error"], { error: "must be 'success' or 'error'" }),
  latencyMs: z.number({ error: "must be a number of milliseconds" }).finite().min(0, "must be >= 0").max(3_600_000, "must be <= 3600000"),
  errorCode: z.string().max(100).optional(),
  targetingKey: z.string().max(200).optional(),
  timestamp: z.union([z.string().datetime({ offset: true, error: "must be an ISO 8601 time" }), z.number().int().positive()]).optional(),
});

export const eventBatchSchema = z.strictObject({
  events: z
    .array(eventSchema, { error: "events must be a list" })
    .min(1, "send at least one event")
    .max(MAX_EVENTS_PER_REQUEST, `at most ${MAX_EVENTS_PER_REQUEST} events per request`),
});
export type EventInput = z.infer<typeof eventSchema>;
