import { z } from "zod";
import { plainText } from "../validation/text";
import { instant } from "../validation/time";
import { LATENCY_SLOTS } from "../domain/latency-buckets";
import { AUDIENCE_CONTEXT_LIMITS } from "../domain/audience-sample";
import { estimateSubjects, sketchMayContain, SKETCH_REGISTERS } from "../domain/subject-sketch";
import { latencySumRange, MAX_LATENCY_MS, MAX_REQUESTS_PER_TOKEN_FLAG_MINUTE, SKETCH_SLACK } from "./telemetry-bounds";

export const MAX_EVENTS_PER_REQUEST = 5000;
/** Users per request in `contexts` (the SDK sends at most 256 at a time). */
export const MAX_CONTEXTS_PER_REQUEST = 1000;
export const EVENT_REASONS = ["SPLIT", "TARGETING_MATCH", "DISABLED", "STATIC", "UNKNOWN"] as const;
export type EventReason = (typeof EVENT_REASONS)[number];

/**
 * The served variant of a flag with variants (its name, as the evaluation said), so outcomes can be
 * compared variant by variant (metric_variant_rollups). Only with `variant: "on"`: a subject the flag
 * is off for got no variant (Unleash's "disabled").
 */
/** A variant's name as reports give it (kept in metric_variant_rollups.variant_name, 1–100 characters). */
export const VARIANT_NAME = plainText({ min: 1, max: 100, trim: false });
const variantName = VARIANT_NAME.optional();
const VARIANT_NAME_ONLY_ON = "only with variant 'on' (a subject the flag is off for gets no variant)";

const eventSchema = z
  .strictObject({
    flagKey: plainText({ min: 1, max: 100, trim: false }),
    variant: z.enum(["on", "off"], { error: "must be 'on' or 'off'" }),
    variantName,
    // What served the variant, as the SDK's evaluation said; keeps a split's traffic apart from
    // traffic an allowlist, a kill or a 0/100 % rule served. Absent → UNKNOWN.
    reason: z.enum(EVENT_REASONS, { error: `must be one of ${"SPLIT, TARGETING_MATCH, DISABLED, STATIC, UNKNOWN"}` }).optional(),
    outcome: z.enum(["success", "error"], { error: "must be 'success' or 'error'" }),
    latencyMs: z
      .number({ error: "must be a number of milliseconds" })
      .finite()
      .min(0, "must be >= 0")
      .max(MAX_LATENCY_MS, `must be <= ${MAX_LATENCY_MS}`),
    errorCode: plainText({ max: 100, trim: false }).optional(),
    targetingKey: plainText({ max: 200, trim: false }).optional(),
    timestamp: instant().optional(),
  })
  .superRefine((e, ctx) => {
    if (e.variantName !== undefined && e.variant !== "on")
      ctx.addIssue({ code: "custom", path: ["variantName"], message: VARIANT_NAME_ONLY_ON });
  });

const count = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .int(`${what} must be a whole number`)
    .min(0, `${what} must be >= 0`)
    .max(
      MAX_REQUESTS_PER_TOKEN_FLAG_MINUTE,
      `${what} must be at most ${MAX_REQUESTS_PER_TOKEN_FLAG_MINUTE} (one token, one flag, one minute)`,
    );
export const MAX_ERROR_SUBJECTS = 1000;

/**
 * A summary: what an SDK saw for one flag, variant and reason in one minute, instead of one event per
 * evaluation. Its counts go into the same rollups as single events; no raw rows are kept for it.
 */
const summarySchema = z
  .strictObject({
    flagKey: plainText({ min: 1, max: 100, trim: false }),
    variant: z.enum(["on", "off"], { error: "must be 'on' or 'off'" }),
    variantName,
    reason: z.enum(EVENT_REASONS, { error: "must be one of SPLIT, TARGETING_MATCH, DISABLED, STATIC, UNKNOWN" }).optional(),
    /** The minute the counts belong to (ISO 8601 or epoch ms); seconds are ignored. */
    minute: instant(),
    requests: count("requests").min(1, "must be at least 1"),
    errors: count("errors"),
    errorsByCode: z.record(plainText({ min: 1, max: 100, trim: false }), count("each count")).optional(),
    latencySumMs: z.number({ error: "must be a number of milliseconds" }).finite().min(0, "must be >= 0"),
    latencyBuckets: z
      .array(count("each bucket"), { error: "must be a list of counts" })
      .length(LATENCY_SLOTS, `must have ${LATENCY_SLOTS} counts (the shared latency edges)`),
    /** HyperLogLog registers of the subjects seen (lib/domain/subject-sketch.ts), as hex. */
    subjectsSketch: z
      .string({ error: "must be hex text" })
      .regex(new RegExp(`^[0-9a-f]{${SKETCH_REGISTERS * 2}}$`), `must be ${SKETCH_REGISTERS * 2} lowercase hex digits`)
      .optional(),
    errorSubjects: z
      .array(plainText({ min: 1, max: 200, trim: false }), { error: "must be a list of targeting keys" })
      .max(MAX_ERROR_SUBJECTS, `at most ${MAX_ERROR_SUBJECTS}`)
      .optional(),
  })
  .superRefine((s, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (s.variantName !== undefined && s.variant !== "on") issue("variantName", VARIANT_NAME_ONLY_ON);
    if (s.errors > s.requests) issue("errors", "must not exceed requests");
    const histogramOk = s.latencyBuckets.reduce((a, b) => a + b, 0) === s.requests;
    if (!histogramOk) issue("latencyBuckets", "must add up to requests");
    const coded = Object.values(s.errorsByCode ?? {}).reduce((a, b) => a + b, 0);
    if (coded > s.errors) issue("errorsByCode", "must not add up to more than errors");
    if ((s.errorSubjects?.length ?? 0) > s.errors) issue("errorSubjects", "more subjects than errors");
    if (histogramOk) {
      // The mean has to lie inside the histogram sent with it; this also caps the sum at
      // requests × MAX_LATENCY_MS, so no report can drag a chart's mean to 1e292 ms.
      const range = latencySumRange(s.latencyBuckets);
      if (s.latencySumMs > range.max)
        issue(
          "latencySumMs",
          `must be at most ${range.max} (requests × the upper edges of their latency slots, at most ${MAX_LATENCY_MS} ms each)`,
        );
      else if (s.latencySumMs < range.min)
        issue("latencySumMs", `must be at least ${range.min} (requests × the lower edges of their latency slots)`);
    }
    if (s.subjectsSketch) {
      const sketch = Buffer.from(s.subjectsSketch, "hex");
      // Negated so that a saturated sketch, whose estimate is NaN, fails too.
      if (!(estimateSubjects(sketch) <= s.requests * SKETCH_SLACK.factor + SKETCH_SLACK.plus))
        issue("subjectsSketch", "counts more subjects than requests");
      // Each erroring subject is one of the subjects: the sketch must already hold it.
      const stranger = s.errorSubjects?.findIndex((subject) => !sketchMayContain(sketch, subject)) ?? -1;
      if (stranger !== -1)
        ctx.addIssue({ code: "custom", path: ["errorSubjects", stranger], message: "is not among the subjects in subjectsSketch" });
    }
  });

const L = AUDIENCE_CONTEXT_LIMITS;
const contextField = plainText({ max: L.maxField, trim: false }).optional();
/**
 * A user the SDK's audience sample took in (lib/domain/audience-sample.ts): the context it evaluated
 * with, so the dashboard can say how many users a segment or a phase reaches.
 */
const contextSchema = z.strictObject({
  userId: plainText({ min: 1, max: L.maxField, trim: false }),
  sessionId: contextField,
  remoteAddress: contextField,
  appName: contextField,
  properties: z
    .record(plainText({ min: 1, max: L.maxName, trim: false }), plainText({ max: L.maxValue, trim: false }), {
      error: "must be an object of text values",
    })
    .refine((p) => Object.keys(p).length <= L.maxProperties, `at most ${L.maxProperties} properties`)
    .optional(),
});

/** What an SDK names a batch by, so a batch sent again (its answer lost) is not counted twice. */
export const BATCH_ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export const eventBatchSchema = z
  .strictObject({
    batchId: z
      .string({ error: "batchId must be text" })
      .regex(BATCH_ID_PATTERN, "16 to 64 letters, digits, '-' or '_', new for each batch")
      .optional(),
    contexts: z
      .array(contextSchema, { error: "contexts must be a list" })
      .max(MAX_CONTEXTS_PER_REQUEST, `at most ${MAX_CONTEXTS_PER_REQUEST} contexts per request`)
      .optional(),
    events: z
      .array(eventSchema, { error: "events must be a list" })
      .max(MAX_EVENTS_PER_REQUEST, `at most ${MAX_EVENTS_PER_REQUEST} events per request`)
      .optional(),
    summaries: z
      .array(summarySchema, { error: "summaries must be a list" })
      .max(MAX_EVENTS_PER_REQUEST, `at most ${MAX_EVENTS_PER_REQUEST} summaries per request`)
      .optional(),
  })
  .superRefine((b, ctx) => {
    if (!b.events?.length && !b.summaries?.length && !b.contexts?.length)
      ctx.addIssue({ code: "custom", path: ["events"], message: "send at least one event" });
  });
export type EventInput = z.infer<typeof eventSchema>;
export type SummaryInput = z.infer<typeof summarySchema>;
