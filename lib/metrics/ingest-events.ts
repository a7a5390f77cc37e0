import type { Db } from "../db/client";
import { AppError } from "../errors";
import { sqlStateOf } from "../db/db-errors";
import { LATENCY_EDGES_MS } from "../domain/latency-buckets";
import type { EventInput } from "./event-schemas";

const MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const MAX_SKEW_MS = 5 * 60 * 1000;

// One count(*) FILTER per histogram slot, generated from the shared edges so SQL and TS cannot disagree.
const bucketSql = [
  ...LATENCY_EDGES_MS.map((edge, i) => {
    const lower = i === 0 ? "" : `latency_ms > ${LATENCY_EDGES_MS[i - 1]} AND `;
    return `count(*) FILTER (WHERE ${lower}latency_ms <= ${edge})`;
  }),
  `count(*) FILTER (WHERE latency_ms > ${LATENCY_EDGES_MS.at(-1)})`,
].join(",\n      ");

/**
 * Stores a batch of raw events and folds it into the per-minute rollups in a single statement, so
 * both happen or neither does. Events for flags that no longer exist are skipped (an SDK may still
 * hold events for a flag deleted meanwhile). Phase is the rollout phase live at ingestion.
 */
const INGEST_SQL = `
WITH input AS (
  SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::text[], $8::timestamptz[])
    AS t(flag_key, variant, outcome, latency_ms, error_code, targeting_key, occurred_at)
), resolved AS (
  SELECT f.id AS flag_id, i.*, coalesce(r.current_phase, -1) AS phase
  FROM input i
  JOIN flags f ON f.key = i.flag_key
  LEFT JOIN rollouts r ON r.flag_id = f.id AND r.environment_key = $1 AND r.status IN ('active', 'paused')
), stored AS (
  INSERT INTO events (flag_id, environment_key, variant, outcome, latency_ms, error_code, targeting_key, occurred_at)
  SELECT flag_id, $1, variant, outcome, latency_ms, error_code, targeting_key, occurred_at FROM resolved
  RETURNING 1
), grouped AS (
  SELECT flag_id, variant, date_trunc('minute', occurred_at) AS minute, phase,
    count(*) AS requests,
    count(*) FILTER (WHERE outcome = 'error') AS errors,
    sum(latency_ms) AS latency_sum_ms,
    ARRAY[
      ${bucketSql}
    ]::bigint[] AS latency_buckets
  FROM resolved GROUP BY flag_id, variant, date_trunc('minute', occurred_at), phase
), codes AS (
  SELECT flag_id, variant, minute, phase, jsonb_object_agg(code, n) AS errors_by_code
  FROM (
    SELECT flag_id, variant, date_trunc('minute', occurred_at) AS minute, phase, coalesce(error_code, 'unknown') AS code, count(*) AS n
    FROM resolved WHERE outcome = 'error'
    GROUP BY 1, 2, 3, 4, 5
  ) c GROUP BY flag_id, variant, minute, phase
), upserted AS (
  INSERT INTO metric_rollups AS m (flag_id, environment_key, variant, minute, phase, requests, errors, errors_by_code, latency_sum_ms, latency_buckets)
  SELECT g.flag_id, $1, g.variant, g.minute, g.phase, g.requests, g.errors, coalesce(c.errors_by_code, '{}'::jsonb), g.latency_sum_ms, g.latency_buckets
  FROM grouped g LEFT JOIN codes c USING (flag_id, variant, minute, phase)
  -- Every batch locks rollup rows in the same order, so concurrent batches wait instead of deadlocking.
  ORDER BY g.flag_id, g.variant, g.minute, g.phase
  ON CONFLICT (flag_id, environment_key, variant, minute, phase) DO UPDATE SET
    requests = m.requests + EXCLUDED.requests,
    errors = m.errors + EXCLUDED.errors,
    latency_sum_ms = m.latency_sum_ms + EXCLUDED.latency_sum_ms,
    latency_buckets = ARRAY(SELECT a + b FROM unnest(m.latency_buckets, EXCLUDED.latency_buckets) AS u(a, b)),
    errors_by_code = (
      SELECT coalesce(jsonb_object_agg(k, coalesce((m.errors_by_code->>k)::bigint, 0) + coalesce((EXCLUDED.errors_by_code->>k)::bigint, 0)), '{}'::jsonb)
      FROM jsonb_object_keys(m.errors_by_code || EXCLUDED.errors_by_code) AS k
    )
  RETURNING 1
)
SELECT (SELECT count(*) FROM stored)::int AS stored, (SELECT count(*) FROM upserted)::int AS rollups`;

export async function ingestEvents(
  db: Db,
  environment: string,
  events: EventInput[],
  now = new Date(),
): Promise<{ accepted: number; ignored: number }> {
  const times = events.map((e, index) => {
    const at = e.timestamp === undefined ? now : new Date(e.timestamp);
    const skew = at.getTime() - now.getTime();
    if (skew > MAX_SKEW_MS || -skew > MAX_AGE_MS) {
      throw new AppError("VALIDATION_FAILED", `Event ${index} has a timestamp outside the accepted window (7 days back, 5 minutes ahead)`, {
        fields: { [`events.${index}.timestamp`]: "outside the accepted window" },
        index,
      });
    }
    return at.toISOString();
  });
  const run = () =>
    db.$queryRawUnsafe<{ stored: number; rollups: number }[]>(
      INGEST_SQL,
      environment,
      events.map((e) => e.flagKey),
      events.map((e) => e.variant),
      events.map((e) => e.outcome),
      events.map((e) => e.latencyMs),
      events.map((e) => (e.outcome === "error" ? (e.errorCode ?? null) : null)),
      events.map((e) => e.targetingKey ?? null),
      times,
    );
  // The statement is atomic, so a deadlock victim stored nothing and can simply run again.
  let rows: Awaited<ReturnType<typeof run>>;
  for (let attempt = 1; ; attempt++) {
    try {
      rows = await run();
      break;
    } catch (err) {
      if (attempt >= 5 || (sqlStateOf(err) !== "40P01" && sqlStateOf(err) !== "40001")) throw err;
      await new Promise((r) => setTimeout(r, attempt * 10 + Math.random() * 20));
    }
  }
  const stored = rows[0]?.stored ?? 0;
  return { accepted: stored, ignored: events.length - stored };
}
