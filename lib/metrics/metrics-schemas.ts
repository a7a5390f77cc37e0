import { z } from "zod";
import { plainText } from "../validation/text";

export const MAX_WINDOW_SECONDS = 7 * 24 * 3600;
export const MIN_BUCKET_SECONDS = 60;
export const MAX_BUCKET_SECONDS = 86_400;
export const MAX_POINTS = 1500;

/** A whole number of seconds from a query string, `fallback` when absent. */
const seconds = (name: string, fallback: number) =>
  z
    .string({ error: `${name} must be a whole number of seconds` })
    .regex(/^\d{1,9}$/, `${name} must be a whole number of seconds`)
    .transform(Number)
    .optional()
    .transform((v) => v ?? fallback);

/**
 * The fields every series query shares (metrics, variants): the environment, and a window in buckets
 * of whole minutes, with the given defaults. Checked together by `checkBuckets`.
 */
export function seriesQueryFields(defaults: { windowSeconds: number; bucketSeconds: number }) {
  return {
    environment: plainText({ min: 1, max: 100, typeMessage: "environment must be text" }).optional().default("production"),
    windowSeconds: seconds("windowSeconds", defaults.windowSeconds).pipe(
      z.number().min(60, "must be at least 60").max(MAX_WINDOW_SECONDS, `must be at most ${MAX_WINDOW_SECONDS} (7 days)`),
    ),
    bucketSeconds: seconds("bucketSeconds", defaults.bucketSeconds).pipe(
      z
        .number()
        .min(MIN_BUCKET_SECONDS, `must be at least ${MIN_BUCKET_SECONDS}`)
        .max(MAX_BUCKET_SECONDS, `must be at most ${MAX_BUCKET_SECONDS} (1 day)`)
        .refine((v) => v % 60 === 0, "must be a multiple of 60 (rollups are per minute)"),
    ),
  };
}

/** `GET /api/v1/flags/{key}/metrics` query parameters, as strings from the URL. */
export const metricsQuerySchema = z.strictObject(seriesQueryFields({ windowSeconds: 3600, bucketSeconds: 60 })).superRefine(checkBuckets);

/** bucketSeconds against windowSeconds: at most the window, and at most MAX_POINTS buckets in it. */
export function checkBuckets(q: { windowSeconds: number; bucketSeconds: number }, ctx: z.RefinementCtx): void {
  if (q.bucketSeconds > q.windowSeconds) {
    ctx.addIssue({ code: "custom", path: ["bucketSeconds"], message: "must not exceed windowSeconds" });
  } else if (Math.ceil(q.windowSeconds / q.bucketSeconds) > MAX_POINTS) {
    ctx.addIssue({
      code: "custom",
      path: ["bucketSeconds"],
      message: `windowSeconds / bucketSeconds must be at most ${MAX_POINTS} points`,
    });
  }
}
export type MetricsQuery = z.infer<typeof metricsQuerySchema>;

export type PercentileName = "p50" | "p95" | "p99";

/** One bucket of one variant. Rates and percentiles are null without requests (e.g. only client-counted evaluations). */
export interface MetricPoint {
  /** Bucket start, ISO 8601; buckets are aligned to multiples of bucketSeconds since the Unix epoch. */
  t: string;
  variant: "on" | "off";
  requests: number;
  errors: number;
  successRate: number | null;
  errorRate: number | null;
  errorsByCode: Record<string, number>;
  /** Upper edge of the histogram slot holding the nearest-rank percentile (see README "Metrics"). */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Percentiles above the top histogram edge: reported as that edge (10,000 ms) and listed here. */
  overflow: PercentileName[];
  meanMs: number | null;
  /**
   * Evaluations counted by clients that report no outcome (Unleash SDKs' yes/no metrics): in
   * adoption only, never in requests, rates or latency.
   */
  evaluations: number;
  /** Share of the bucket's requests and evaluations (both variants) served `on`. */
  adoption: number | null;
  /**
   * Distinct subjects (targeting keys) served this variant in the bucket: a HyperLogLog estimate,
   * standard error 6.5 % (a few percent below ~600 subjects); null when no event carried a key.
   */
  subjects: number | null;
  /** Distinct subjects that saw at least one error: exact. */
  errorSubjects: number;
  /** Share of the bucket's subjects served `on`: subjects(on) / (subjects(on) + subjects(off)). */
  subjectAdoption: number | null;
}

export interface MetricsResponse {
  flagKey: string;
  environment: string;
  windowSeconds: number;
  bucketSeconds: number;
  /** Window start (aligned down to a bucket) and end, ISO 8601. */
  from: string;
  to: string;
  /** Upper edges of the latency histogram, ms. */
  latencyEdgesMs: readonly number[];
  /** Buckets with traffic only, ordered by t then variant. */
  series: MetricPoint[];
  /** What happened to the flag in the window (phase changes, kills, restores…), for chart markers. */
  markers: MetricMarker[];
}

export interface MetricMarker {
  t: string;
  kind: "advance" | "complete" | "pause" | "resume" | "rollback" | "kill" | "restore";
  label: string;
}
