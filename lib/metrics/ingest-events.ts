import type { Db } from "../db/client";
import { AppError } from "../errors";
import { sqlStateOf } from "../db/db-errors";
import { inRollupLane } from "./rollup-write-lanes";
import { groupByVariant } from "./variant-groups";
import { LATENCY_SLOTS, latencySlot } from "../domain/latency-buckets";
import { addSubject, emptySketch, mergeSketch, type SubjectSketch } from "../domain/subject-sketch";
import type { EventInput, SummaryInput } from "./event-schemas";
import { MAX_CLOCK_SKEW_MS, MAX_EVENT_AGE_MS, MAX_REQUESTS_PER_TOKEN_FLAG_MINUTE } from "./telemetry-bounds";

/**
 * Folds a batch of events into the per-minute rollups, and stores the flag's sample of them as raw
 * rows (opt-in per flag, none by default), in a single statement, so both happen or neither does. The batch is grouped here (flag, variant, minute, reason) so the
 * database only upserts one row per group; the statement resolves flags and the live rollout phase
 * itself. Events for flags that no longer exist are skipped (an SDK may still hold events for a flag
 * deleted meanwhile). Erroring subjects are inserted into their own set first; only the ones new to
 * the row raise its `error_subjects`, so the count stays exact across batches and instances.
 */
const INGEST_SQL = `
WITH claim AS (
  -- A batch the SDK named is counted once per token: a second arrival (its first answer was lost)
  -- finds the claim, or waits for the first arrival's transaction and then finds it, and counts
  -- nothing, since every write below reads flag_phase. Refused batches roll their claim back.
  INSERT INTO ingest_batches (token_id, batch_id)
  SELECT $26::uuid, $35::text WHERE $26::uuid IS NOT NULL AND $35::text IS NOT NULL
  ON CONFLICT DO NOTHING
  RETURNING 1
), flag_phase AS (
  SELECT f.id AS flag_id, f.key, coalesce(r.current_phase, -1) AS phase, f.raw_event_sample_percent AS sample_percent
  FROM flags f
  LEFT JOIN rollouts r ON r.flag_id = f.id AND r.environment_key = $1 AND r.status IN ('active', 'paused')
  WHERE f.key = ANY($10::text[])
    AND ($26::uuid IS NULL OR $35::text IS NULL OR EXISTS (SELECT 1 FROM claim))
), stored AS (
  INSERT INTO events (flag_id, environment_key, variant, reason, outcome, latency_ms, error_code, targeting_key, occurred_at)
  SELECT fp.flag_id, $1, i.variant, i.reason, i.outcome, i.latency_ms, i.error_code, i.targeting_key, i.occurred_at
  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::text[], $8::text[], $9::timestamptz[])
    AS i(flag_key, variant, reason, outcome, latency_ms, error_code, targeting_key, occurred_at)
  JOIN flag_phase fp ON fp.key = i.flag_key
  -- Raw rows are an opt-in sample per flag; the rollups below count every event. A subject is in or
  -- out of the sample as a whole (a hash of its key), so a sampled user's journey is kept complete.
  WHERE fp.sample_percent >= 100 OR (fp.sample_percent > 0 AND CASE
    WHEN i.targeting_key IS NULL THEN random() * 100
    ELSE ((('x' || substr(md5(i.targeting_key), 1, 8))::bit(32)::int::bigint + 2147483648) % 10000) / 100.0
  END < fp.sample_percent)
  RETURNING 1
), new_error_subjects AS (
  INSERT INTO metric_error_subjects (flag_id, environment_key, variant, minute, phase, reason, subject)
  SELECT fp.flag_id, $1, e.variant, e.minute, fp.phase, e.reason, md5(e.subject)::uuid
  FROM unnest($20::text[], $21::text[], $22::timestamptz[], $23::text[], $24::text[]) AS e(flag_key, variant, minute, reason, subject)
  JOIN flag_phase fp ON fp.key = e.flag_key
  ORDER BY 1, 3, 4, 5, 6, 7
  ON CONFLICT DO NOTHING
  RETURNING flag_id, variant, minute, phase, reason
), new_error_counts AS (
  SELECT flag_id, variant, minute, phase, reason, count(*) AS n FROM new_error_subjects GROUP BY 1, 2, 3, 4, 5
), grp AS (
  SELECT fp.flag_id, fp.phase, g.*
  FROM unnest($11::text[], $12::text[], $13::timestamptz[], $14::text[], $15::bigint[], $16::bigint[], $17::text[], $18::float8[], $19::text[], $25::text[])
    AS g(flag_key, variant, minute, reason, requests, errors, codes, latency_sum_ms, slots, sketch)
  JOIN flag_phase fp ON fp.key = g.flag_key
), upserted AS (
  INSERT INTO metric_rollups AS m
    (flag_id, environment_key, variant, minute, phase, reason, requests, errors, errors_by_code, latency_sum_ms, latency_buckets, subjects_sketch, error_subjects)
  SELECT g.flag_id, $1, g.variant, g.minute, g.phase, g.reason, g.requests, g.errors, g.codes::jsonb, g.latency_sum_ms, g.slots::bigint[],
         decode(g.sketch, 'hex'), coalesce(n.n, 0)
  FROM grp g
  LEFT JOIN new_error_counts n ON n.flag_id = g.flag_id AND n.variant = g.variant AND n.minute = g.minute AND n.phase = g.phase AND n.reason = g.reason
  -- Every batch locks rollup rows in the same order, so concurrent batches wait instead of deadlocking.
  ORDER BY g.flag_id, g.variant, g.minute, g.phase, g.reason
  ON CONFLICT (flag_id, environment_key, variant, minute, phase, reason) DO UPDATE SET
    requests = m.requests + EXCLUDED.requests,
    errors = m.errors + EXCLUDED.errors,
    latency_sum_ms = m.latency_sum_ms + EXCLUDED.latency_sum_ms,
    latency_buckets = ARRAY(SELECT a + b FROM unnest(m.latency_buckets, EXCLUDED.latency_buckets) AS u(a, b)),
    errors_by_code = CASE WHEN EXCLUDED.errors = 0 THEN m.errors_by_code ELSE (
      SELECT coalesce(jsonb_object_agg(k, coalesce((m.errors_by_code->>k)::bigint, 0) + coalesce((EXCLUDED.errors_by_code->>k)::bigint, 0)), '{}'::jsonb)
      FROM jsonb_object_keys(m.errors_by_code || EXCLUDED.errors_by_code) AS k
    ) END,
    subjects_sketch = rollgate_sketch_union(m.subjects_sketch, EXCLUDED.subjects_sketch),
    error_subjects = m.error_subjects + EXCLUDED.error_subjects
  RETURNING 1
), by_token AS (
  -- The same counts under the reporting token; no sketch or subjects (not separable per token).
  INSERT INTO metric_rollups_by_token AS t
    (flag_id, environment_key, minute, token_id, variant, phase, reason, requests, errors, errors_by_code, latency_sum_ms, latency_buckets)
  SELECT g.flag_id, $1, g.minute, $26::uuid, g.variant, g.phase, g.reason, g.requests, g.errors, g.codes::jsonb, g.latency_sum_ms, g.slots::bigint[]
  FROM grp g
  WHERE $26::uuid IS NOT NULL
  ORDER BY g.flag_id, g.minute, g.variant, g.phase, g.reason
  ON CONFLICT (flag_id, environment_key, minute, token_id, variant, phase, reason) DO UPDATE SET
    requests = t.requests + EXCLUDED.requests,
    errors = t.errors + EXCLUDED.errors,
    latency_sum_ms = t.latency_sum_ms + EXCLUDED.latency_sum_ms,
    latency_buckets = ARRAY(SELECT a + b FROM unnest(t.latency_buckets, EXCLUDED.latency_buckets) AS u(a, b)),
    errors_by_code = CASE WHEN EXCLUDED.errors = 0 THEN t.errors_by_code ELSE (
      SELECT coalesce(jsonb_object_agg(k, coalesce((t.errors_by_code->>k)::bigint, 0) + coalesce((EXCLUDED.errors_by_code->>k)::bigint, 0)), '{}'::jsonb)
      FROM jsonb_object_keys(t.errors_by_code || EXCLUDED.errors_by_code) AS k
    ) END
  RETURNING 1
), by_variant AS (
  -- Flags with variants: the same outcomes per variant name, for comparing variants with each other
  -- (migration 20261203001000). Only what names its variant; a null token is a session's report.
  INSERT INTO metric_variant_rollups AS v
    (flag_id, environment_key, minute, variant_name, phase, token_id, requests, errors, latency_sum_ms, latency_buckets)
  SELECT fp.flag_id, $1, g.minute, g.variant_name, fp.phase, $26::uuid, g.requests, g.errors, g.latency_sum_ms, g.slots::bigint[]
  FROM unnest($28::text[], $29::text[], $30::timestamptz[], $31::bigint[], $32::bigint[], $33::float8[], $34::text[])
    AS g(flag_key, variant_name, minute, requests, errors, latency_sum_ms, slots)
  JOIN flag_phase fp ON fp.key = g.flag_key
  ORDER BY fp.flag_id, g.minute, g.variant_name
  ON CONFLICT (flag_id, environment_key, minute, variant_name, phase, token_id) DO UPDATE SET
    requests = v.requests + EXCLUDED.requests,
    errors = v.errors + EXCLUDED.errors,
    latency_sum_ms = v.latency_sum_ms + EXCLUDED.latency_sum_ms,
    latency_buckets = ARRAY(SELECT a + b FROM unnest(v.latency_buckets, EXCLUDED.latency_buckets) AS u(a, b))
  RETURNING 1
), totals AS (
  -- The token's running total per flag and minute (migration 20261206000400): the upsert waits for a
  -- concurrent batch's lock on the row and adds to what it committed, so the sum it returns is exact.
  INSERT INTO metric_token_totals AS t (flag_id, environment_key, minute, token_id, requests)
  SELECT g.flag_id, $1, g.minute, $26::uuid, sum(g.requests)
  FROM grp g
  WHERE $26::uuid IS NOT NULL
  GROUP BY g.flag_id, g.minute
  ORDER BY g.flag_id, g.minute
  ON CONFLICT (flag_id, environment_key, minute, token_id) DO UPDATE SET requests = t.requests + EXCLUDED.requests
  RETURNING flag_id, minute, requests
), over_cap AS (
  SELECT rollgate_refuse_over_cap(c.flag_id, c.minute, c.requests) AS refused FROM totals c WHERE c.requests > $27::bigint
)
SELECT (SELECT count(*) FROM stored)::int AS stored, (SELECT count(*) FROM upserted)::int AS rollups,
       (SELECT count(*) FROM over_cap)::int AS refused,
       (SELECT coalesce(array_agg(key), '{}') FROM flag_phase) AS known,
       $26::uuid IS NOT NULL AND $35::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM claim) AS duplicate`;

interface Group {
  flagKey: string;
  variant: string;
  minute: string;
  reason: string;
  requests: number;
  errors: number;
  codes: Map<string, number>;
  latencySumMs: number;
  slots: number[];
  sketch: SubjectSketch | null;
  erring: Set<string>;
}

export async function ingestEvents(
  db: Db,
  environment: string,
  events: EventInput[],
  now = new Date(),
  summaries: SummaryInput[] = [],
  tokenId: string | null = null,
  batchId: string | null = null,
): Promise<{ accepted: number; ignored: number; duplicate?: true }> {
  const inWindow = (at: number, field: string, what: string) => {
    const skew = at - now.getTime();
    if (skew > MAX_CLOCK_SKEW_MS || -skew > MAX_EVENT_AGE_MS) {
      throw new AppError("VALIDATION_FAILED", `${what} has a timestamp outside the accepted window (7 days back, 5 minutes ahead)`, {
        fields: { [field]: "outside the accepted window" },
        index: Number(field.split(".")[1]),
      });
    }
  };
  const times = events.map((e, index) => {
    const at = eventTimeMs(e, now);
    inWindow(at, `events.${index}.timestamp`, `Event ${index}`);
    return at;
  });
  summaries.forEach((s, index) => inWindow(minuteOf(s), `summaries.${index}.minute`, `Summary ${index}`));
  capPerFlagMinute(events, times, summaries);
  const groups = groupEvents(events, times);
  foldSummaries(groups, summaries);
  const groupList = [...groups.values()];
  const errorSubjects = groupList.flatMap((g) => [...g.erring].map((subject) => ({ g, subject })));
  const byVariant = groupByVariant(events, times, summaries);
  const run = () =>
    db.$queryRawUnsafe<{ stored: number; rollups: number; refused: number; known: string[]; duplicate: boolean }[]>(
      INGEST_SQL,
      environment,
      events.map((e) => e.flagKey),
      events.map((e) => e.variant),
      events.map((e) => e.reason ?? "UNKNOWN"),
      events.map((e) => e.outcome),
      events.map((e) => e.latencyMs),
      events.map((e) => (e.outcome === "error" ? (e.errorCode ?? null) : null)),
      events.map((e) => e.targetingKey ?? null),
      times.map((t) => new Date(t).toISOString()),
      [...new Set([...events.map((e) => e.flagKey), ...summaries.map((s) => s.flagKey)])],
      groupList.map((g) => g.flagKey),
      groupList.map((g) => g.variant),
      groupList.map((g) => g.minute),
      groupList.map((g) => g.reason),
      groupList.map((g) => g.requests),
      groupList.map((g) => g.errors),
      groupList.map((g) => JSON.stringify(Object.fromEntries(g.codes))),
      groupList.map((g) => g.latencySumMs),
      groupList.map((g) => `{${g.slots.join(",")}}`),
      errorSubjects.map((s) => s.g.flagKey),
      errorSubjects.map((s) => s.g.variant),
      errorSubjects.map((s) => s.g.minute),
      errorSubjects.map((s) => s.g.reason),
      errorSubjects.map((s) => s.subject),
      groupList.map((g) => (g.sketch ? Buffer.from(g.sketch).toString("hex") : null)),
      tokenId,
      MAX_REQUESTS_PER_TOKEN_FLAG_MINUTE,
      byVariant.map((g) => g.flagKey),
      byVariant.map((g) => g.variantName),
      byVariant.map((g) => g.minute),
      byVariant.map((g) => g.requests),
      byVariant.map((g) => g.errors),
      byVariant.map((g) => g.latencySumMs),
      byVariant.map((g) => `{${g.slots.join(",")}}`),
      batchId,
    );
  let rows: Awaited<ReturnType<typeof run>>;
  try {
    rows = await inRollupLane(environment, () => retryOnDeadlock(run));
  } catch (err) {
    if (sqlStateOf(err) === OVER_CAP) throw overCapOfBatch(events, times, summaries);
    throw err;
  }
  // Counted when it first arrived: nothing of it again, and nothing to announce.
  if (rows[0]?.duplicate) return { accepted: 0, ignored: 0, duplicate: true };
  const known = new Set(rows[0]?.known ?? []);
  const counted = events.filter((e) => known.has(e.flagKey)).length;
  const summarised = summaries.filter((s) => known.has(s.flagKey)).length;
  return { accepted: counted + summarised, ignored: events.length + summaries.length - counted - summarised };
}

/**
 * The batch's own share of MAX_REQUESTS_PER_TOKEN_FLAG_MINUTE (the database checks the sum with
 * what the token sent before): refused naming the summary or event that goes over.
 */
function capPerFlagMinute(events: EventInput[], times: number[], summaries: SummaryInput[]): void {
  const totals = new Map<string, number>();
  const add = (flagKey: string, minuteMs: number, n: number, field: string, index: number) => {
    const key = `${flagKey}\u0000${minuteMs}`;
    const total = (totals.get(key) ?? 0) + n;
    totals.set(key, total);
    if (total > MAX_REQUESTS_PER_TOKEN_FLAG_MINUTE) throw overCap(flagKey, minuteMs, field, index);
  };
  summaries.forEach((s, i) => add(s.flagKey, minuteOf(s), s.requests, `summaries.${i}.requests`, i));
  events.forEach((e, i) => add(e.flagKey, Math.floor(times[i]! / 60_000) * 60_000, 1, `events.${i}`, i));
}

/** SQLSTATE of rollgate_refuse_over_cap (migration 20261202002000). */
const OVER_CAP = "RG429";

/**
 * Which part of a batch the database found over the cap with the token's earlier reports: the
 * statement says only that one was, so name the first summary (else event) of the batch's busiest
 * flag and minute.
 */
function overCapOfBatch(events: EventInput[], times: number[], summaries: SummaryInput[]): AppError {
  const totals = new Map<string, { flagKey: string; minuteMs: number; n: number; field: string; index: number }>();
  const add = (flagKey: string, minuteMs: number, n: number, field: string, index: number) => {
    const key = `${flagKey}\u0000${minuteMs}`;
    const t = totals.get(key);
    if (t) t.n += n;
    else totals.set(key, { flagKey, minuteMs, n, field, index });
  };
  summaries.forEach((s, i) => add(s.flagKey, minuteOf(s), s.requests, `summaries.${i}.requests`, i));
  events.forEach((e, i) => add(e.flagKey, Math.floor(times[i]! / 60_000) * 60_000, 1, `events.${i}`, i));
  const busiest = [...totals.values()].sort((a, b) => b.n - a.n)[0]!;
  return overCap(busiest.flagKey, busiest.minuteMs, busiest.field, busiest.index);
}

export function overCap(flagKey: string, minuteMs: number, field: string, index: number): AppError {
  return new AppError(
    "VALIDATION_FAILED",
    `More than ${MAX_REQUESTS_PER_TOKEN_FLAG_MINUTE} requests reported by this token for '${flagKey}' in the minute ${new Date(minuteMs).toISOString()}; the batch was rejected`,
    { fields: { [field]: `over ${MAX_REQUESTS_PER_TOKEN_FLAG_MINUTE} requests per token, flag and minute` }, index },
  );
}

/** Runs one atomic statement again when it was a deadlock or serialisation victim: it stored nothing. */
export async function retryOnDeadlock<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= 5 || (sqlStateOf(err) !== "40P01" && sqlStateOf(err) !== "40001")) throw err;
      await new Promise((r) => setTimeout(r, attempt * 10 + Math.random() * 20));
    }
  }
}

/** When an event happened: its timestamp, or its arrival when it has none. */
export function eventTimeMs(e: EventInput, now: Date): number {
  return e.timestamp === undefined ? now.getTime() : new Date(e.timestamp).getTime();
}

const minuteOf = (s: SummaryInput) => Math.floor(new Date(s.minute).getTime() / 60_000) * 60_000;

/** Adds summaries to the batch's groups: their counts, histogram, codes, sketch and erring subjects. */
function foldSummaries(groups: Map<string, Group>, summaries: SummaryInput[]): void {
  for (const s of summaries) {
    const g = groupFor(groups, s.flagKey, s.variant, minuteOf(s), s.reason ?? "UNKNOWN");
    g.requests += s.requests;
    g.errors += s.errors;
    g.latencySumMs += s.latencySumMs;
    s.latencyBuckets.forEach((n, i) => (g.slots[i]! += n));
    let coded = 0;
    for (const [code, n] of Object.entries(s.errorsByCode ?? {})) {
      if (n === 0) continue;
      g.codes.set(code, (g.codes.get(code) ?? 0) + n);
      coded += n;
    }
    if (s.errors > coded) g.codes.set("unknown", (g.codes.get("unknown") ?? 0) + s.errors - coded);
    if (s.subjectsSketch) mergeSketch((g.sketch ??= emptySketch()), Buffer.from(s.subjectsSketch, "hex"));
    for (const subject of s.errorSubjects ?? []) g.erring.add(subject);
  }
}

function groupFor(groups: Map<string, Group>, flagKey: string, variant: string, minuteMs: number, reason: string): Group {
  const key = `${flagKey}\u0000${variant}\u0000${minuteMs}\u0000${reason}`;
  let g = groups.get(key);
  if (!g) {
    g = {
      flagKey,
      variant,
      minute: new Date(minuteMs).toISOString(),
      reason,
      requests: 0,
      errors: 0,
      codes: new Map(),
      latencySumMs: 0,
      slots: new Array<number>(LATENCY_SLOTS).fill(0),
      sketch: null,
      erring: new Set(),
    };
    groups.set(key, g);
  }
  return g;
}

function groupEvents(events: EventInput[], times: number[]): Map<string, Group> {
  const groups = new Map<string, Group>();
  events.forEach((e, i) => {
    const g = groupFor(groups, e.flagKey, e.variant, Math.floor(times[i]! / 60_000) * 60_000, e.reason ?? "UNKNOWN");
    g.requests++;
    g.latencySumMs += e.latencyMs;
    g.slots[latencySlot(e.latencyMs)]!++;
    if (e.targetingKey !== undefined) addSubject((g.sketch ??= emptySketch()), e.targetingKey);
    if (e.outcome === "error") {
      g.errors++;
      const code = e.errorCode ?? "unknown";
      g.codes.set(code, (g.codes.get(code) ?? 0) + 1);
      if (e.targetingKey !== undefined) g.erring.add(e.targetingKey);
    }
  });
  return groups;
}
