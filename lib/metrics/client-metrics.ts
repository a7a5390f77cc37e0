import { createHash } from "node:crypto";
import { z } from "zod";
import type { Db } from "../db/client";
import { AppError } from "../errors";
import { retryOnDeadlock } from "./ingest-events";
import { inRollupLane } from "./rollup-write-lanes";
import { textProblem } from "../validation/text";
import { VARIANT_NAME } from "./event-schemas";
import { instant } from "../validation/time";
import { MAX_CLOCK_SKEW_MS, MAX_EVENT_AGE_MS } from "./telemetry-bounds";

/**
 * Most one bucket entry may count. A bucket is one SDK instance's tally for one metrics interval (60 s
 * by default): 1e9 evaluations is ~16 million a second from one process for a whole minute, far past
 * any real client. What it refuses is nonsense such as 9e15, which would swamp a flag's adoption
 * figures for as long as the rollup is kept (a year) and, summed over reports, leave the range where
 * JavaScript numbers count exactly.
 */
export const MAX_BUCKET_COUNT = 1_000_000_000;

const count = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .int(`${what} must be a whole number`)
    .min(0, `${what} must be >= 0`)
    .max(MAX_BUCKET_COUNT, `${what} must be at most ${MAX_BUCKET_COUNT}`);

const epochMs = (t: string | number) => (typeof t === "number" ? t : Date.parse(t));

/** Unleash's variant name for "no variant": the flag was off for the subject, or has no variants. */
const UNLEASH_NO_VARIANT = "disabled";

/**
 * What Unleash SDKs send to `POST /api/client/metrics` (the client specification's metrics format):
 * per toggle, how often it was on (`yes`) and off (`no`) between `start` and `stop`. Loose objects,
 * because SDKs add fields of their own (`platformName`, `impactMetrics`, …) that we do not read.
 */
export const unleashMetricsSchema = z.looseObject({
  appName: z.string({ error: "must be text" }).optional(),
  instanceId: z.string({ error: "must be text" }).optional(),
  bucket: z
    .looseObject(
      {
        start: instant(),
        stop: instant(),
        toggles: z.record(
          z.string(),
          z.looseObject(
            {
              yes: count("yes"),
              no: count("no"),
              variants: z.record(z.string(), count("each variant count")).optional(),
            },
            { error: "must be an object with yes and no counts" },
          ),
          { error: "must be an object of toggle counts" },
        ),
      },
      { error: "must be an object with start, stop and toggles" },
    )
    .superRefine((bucket, ctx) => {
      if (epochMs(bucket.stop) < epochMs(bucket.start)) {
        ctx.addIssue({ code: "custom", path: ["stop"], message: "must not be before start" });
      }
      // Names are matched against flag keys, which never hold these; PostgreSQL refuses NUL in text.
      for (const name of Object.keys(bucket.toggles ?? {})) {
        const problem = textProblem(name);
        if (!problem) continue;
        ctx.addIssue({
          code: "custom",
          path: ["toggles"],
          message: `toggle name ${JSON.stringify(name.slice(0, 100))} ${problem === "control" ? "contains control characters" : "contains invalid Unicode"}`,
        });
        return;
      }
      // Variant names are kept (metric_variant_rollups), checked as in SDK events. The SDK reports
      // the names the flag served, so another is a client bug.
      for (const [name, toggle] of Object.entries(bucket.toggles ?? {})) {
        for (const variant of Object.keys(toggle.variants ?? {})) {
          const checked = VARIANT_NAME.safeParse(variant);
          if (checked.success) continue;
          ctx.addIssue({
            code: "custom",
            path: ["toggles", name, "variants"],
            message: `variant name ${JSON.stringify(variant.slice(0, 100))}: ${checked.error.issues[0]!.message}`,
          });
          return;
        }
      }
    }),
});
export type UnleashMetrics = z.infer<typeof unleashMetricsSchema>;

/**
 * What makes a report the same report sent again: Unleash SDKs send a bucket again when they got no
 * answer (a timeout, a proxy's 502), and an instance's bucket is its tally between `start` and `stop`, so
 * two reports of one instance with the same interval and counts are one report. Null without an
 * `instanceId`: then nothing tells a retry from another process's report. The id shares the claims
 * table with the batch ids SDK events name, per token: a token that names an event batch like one of
 * its own reports only keeps its own numbers out.
 */
export function unleashReportId(metrics: UnleashMetrics): string | null {
  if (!metrics.instanceId) return null;
  const { appName, instanceId, bucket } = metrics;
  const digest = createHash("sha256").update(JSON.stringify([appName ?? null, instanceId, bucket.start, bucket.stop, bucket.toggles]));
  return `unleash-${digest.digest("hex").slice(0, 48)}`;
}

/**
 * Folds an Unleash metrics bucket into the per-minute rollups in one statement: `yes` as evaluations
 * served `on`, `no` as served `off`, in the minute the bucket stopped (SDKs send a bucket when it
 * stops, every interval, 60 s by default), with the flag's live rollout phase like SDK events.
 * They go to `evaluations` in rows of reason CLIENT_METRICS, never to `requests`: Unleash says nothing
 * about success or latency, so they count toward adoption only (see the migration
 * 20261125004200_client_reported_evaluations.sql). Concurrent reports add up (ON CONFLICT increments).
 * Toggles Rollgate does not have are ignored: an Unleash SDK reports every toggle it was asked about.
 * A toggle's `variants` counts (Unleash's `disabled` aside) go to metric_variant_rollups per variant
 * name, as served counts only. A report the reporting token already sent (`unleashReportId`, claimed
 * in `ingest_batches` in the same statement, kept a day) counts nothing. Returns the flag keys that were counted.
 */
export async function ingestUnleashMetrics(
  db: Db,
  environment: string,
  metrics: UnleashMetrics,
  now = new Date(),
  tokenId: string | null = null,
): Promise<string[]> {
  const stop = epochMs(metrics.bucket.stop);
  const skew = stop - now.getTime();
  if (skew > MAX_CLOCK_SKEW_MS || -skew > MAX_EVENT_AGE_MS) {
    throw new AppError("VALIDATION_FAILED", "The bucket's stop time is outside the accepted window (7 days back, 5 minutes ahead)", {
      fields: { "bucket.stop": "outside the accepted window" },
    });
  }
  const minute = new Date(Math.floor(stop / 60_000) * 60_000).toISOString();
  const keys: string[] = [];
  const variants: string[] = [];
  const counts: number[] = [];
  // Per variant name: what the SDK served of each (its `disabled` is Unleash's "no variant", i.e. off).
  const named = { keys: [] as string[], names: [] as string[], counts: [] as number[] };
  for (const [name, toggle] of Object.entries(metrics.bucket.toggles)) {
    for (const [variant, n] of [
      ["on", toggle.yes],
      ["off", toggle.no],
    ] as const) {
      if (n === 0) continue;
      keys.push(name);
      variants.push(variant);
      counts.push(n);
    }
    for (const [variant, n] of Object.entries(toggle.variants ?? {})) {
      if (n === 0 || variant === UNLEASH_NO_VARIANT) continue;
      named.keys.push(name);
      named.names.push(variant);
      named.counts.push(n);
    }
  }
  if (keys.length === 0 && named.keys.length === 0) return [];
  const rows = await inRollupLane(environment, () =>
    retryOnDeadlock(() =>
      db.$queryRawUnsafe<{ key: string }[]>(
        `WITH claim AS (
        -- As for SDK event batches (ingest-events.ts): a report sent again finds the claim, or waits for
        -- the first arrival's transaction and then finds it, and counts nothing.
        INSERT INTO ingest_batches (token_id, batch_id)
        SELECT $6::uuid, $10::text WHERE $6::uuid IS NOT NULL AND $10::text IS NOT NULL
        ON CONFLICT DO NOTHING
        RETURNING 1
      ), flag_phase AS (
        SELECT f.id AS flag_id, f.key, coalesce(r.current_phase, -1) AS phase
        FROM flags f
        LEFT JOIN rollouts r ON r.flag_id = f.id AND r.environment_key = $1 AND r.status IN ('active', 'paused')
        WHERE (f.key = ANY($3::text[]) OR f.key = ANY($7::text[])) AND f.archived_at IS NULL
          AND ($6::uuid IS NULL OR $10::text IS NULL OR EXISTS (SELECT 1 FROM claim))
      ), upserted AS (
        INSERT INTO metric_rollups AS m (flag_id, environment_key, variant, minute, phase, reason, evaluations)
        SELECT fp.flag_id, $1, c.variant, $2::timestamptz, fp.phase, 'CLIENT_METRICS', c.n
        FROM unnest($3::text[], $4::text[], $5::bigint[]) AS c(flag_key, variant, n)
        JOIN flag_phase fp ON fp.key = c.flag_key
        -- The same lock order as event ingestion, so concurrent batches wait instead of deadlocking.
        ORDER BY fp.flag_id, c.variant
        ON CONFLICT (flag_id, environment_key, variant, minute, phase, reason) DO UPDATE SET
          evaluations = m.evaluations + EXCLUDED.evaluations
        RETURNING flag_id
      ), by_token AS (
        -- The reporting token's share, for the contributions view and a purge (see ingest-events.ts).
        INSERT INTO metric_rollups_by_token AS t (flag_id, environment_key, minute, token_id, variant, phase, reason, evaluations)
        SELECT fp.flag_id, $1, $2::timestamptz, $6::uuid, c.variant, fp.phase, 'CLIENT_METRICS', c.n
        FROM unnest($3::text[], $4::text[], $5::bigint[]) AS c(flag_key, variant, n)
        JOIN flag_phase fp ON fp.key = c.flag_key
        WHERE $6::uuid IS NOT NULL
        ORDER BY fp.flag_id, c.variant
        ON CONFLICT (flag_id, environment_key, minute, token_id, variant, phase, reason) DO UPDATE SET
          evaluations = t.evaluations + EXCLUDED.evaluations
        RETURNING 1
      ), by_variant AS (
        -- Per variant name, beside what Rollgate's SDK reports there (migration 20261206000100): served
        -- counts only, so these rows have no requests and no comparison reads them.
        INSERT INTO metric_variant_rollups AS v (flag_id, environment_key, minute, variant_name, phase, token_id, evaluations)
        SELECT fp.flag_id, $1, $2::timestamptz, c.variant_name, fp.phase, $6::uuid, c.n
        FROM unnest($7::text[], $8::text[], $9::bigint[]) AS c(flag_key, variant_name, n)
        JOIN flag_phase fp ON fp.key = c.flag_key
        ORDER BY fp.flag_id, c.variant_name
        ON CONFLICT (flag_id, environment_key, minute, variant_name, phase, token_id) DO UPDATE SET
          evaluations = v.evaluations + EXCLUDED.evaluations
        RETURNING flag_id
      )
      SELECT fp.key FROM upserted u JOIN flag_phase fp ON fp.flag_id = u.flag_id
      UNION
      SELECT fp.key FROM by_variant b JOIN flag_phase fp ON fp.flag_id = b.flag_id`,
        environment,
        minute,
        keys,
        variants,
        counts,
        tokenId,
        named.keys,
        named.names,
        named.counts,
        tokenId ? unleashReportId(metrics) : null,
      ),
    ),
  );
  return rows.map((r) => r.key);
}
