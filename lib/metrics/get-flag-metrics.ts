import type { Db } from "../db/client";
import { notFound } from "../errors";
import { LATENCY_EDGES_MS, quantileUpperBoundMs } from "../domain/latency-buckets";
import { emptySketch, estimateSubjects, mergeSketch } from "../domain/subject-sketch";
import { FLAG_KEY_PATTERN } from "../flags/flag-schemas";
import type { MetricsCache } from "./metrics-cache";
import type { MetricMarker, MetricPoint, MetricsQuery, MetricsResponse, PercentileName } from "./metrics-schemas";

interface SeriesRow {
  t: Date;
  variant: "on" | "off";
  requests: number;
  errors: number;
  errors_by_code: Record<string, number | string>;
  latency_sum_ms: number;
  latency_buckets: number[];
  evaluations: number;
  adoption: number | null;
}

const TOP_EDGE_MS = LATENCY_EDGES_MS.at(-1)!;

/**
 * A flag's metric series in one environment over the last `windowSeconds`, from the rollups via
 * `rollgate_metric_buckets` (supabase/migrations/20261123002000_metric_views.sql). Percentiles are
 * read from each bucket's summed histogram here, with the rule `rollgate_latency_quantiles` applies
 * in SQL (quantileUpperBoundMs; a test keeps them equal): computing them in PostgreSQL costs a
 * PL/pgSQL call per point, about a third of the query's time for a day of minutes. The window
 * starts at the bucket boundary at or before `now - windowSeconds` and ends now.
 */
export async function getFlagMetrics(
  db: Db,
  flagKey: string,
  query: MetricsQuery,
  now = new Date(),
  cache?: MetricsCache,
): Promise<MetricsResponse> {
  if (!FLAG_KEY_PATTERN.test(flagKey)) throw notFound("Flag");
  const [flag, environment] = await Promise.all([
    db.flag.findUnique({ where: { key: flagKey }, select: { id: true, archivedAt: true } }),
    db.environment.findUnique({ where: { key: query.environment }, select: { key: true } }),
  ]);
  if (!flag || flag.archivedAt) throw notFound(`Flag '${flagKey}'`);
  if (!environment) throw notFound(`Environment '${query.environment}'`);

  const bucketMs = query.bucketSeconds * 1000;
  const from = new Date(Math.floor((now.getTime() - query.windowSeconds * 1000) / bucketMs) * bucketMs);
  // With a cache, only the buckets since the last finished one it holds are read, and not even the
  // current one when no new events for the flag have been announced since it was read.
  const plan = cache?.plan(flagKey, environment.key, query.bucketSeconds, from.getTime(), now.getTime()) ?? {
    loadFromMs: from.getTime(),
    generation: 0,
    touches: 0,
    tail: null,
  };
  const loadFrom = new Date(plan.loadFromMs);
  const cachedMarks = cache?.markers(flagKey, environment.key, from.getTime()) ?? null;
  const marksGeneration = cache?.markersGeneration() ?? 0;
  const [fresh, marks] = await Promise.all([
    plan.tail ? null : freshPoints(db, flag.id, environment.key, loadFrom, now, query.bucketSeconds),
    cachedMarks ?? markers(db, flagKey, environment.key, from, now),
  ]);
  if (!cachedMarks && marks.length < MAX_MARKERS) cache?.storeMarkers(flagKey, environment.key, from.getTime(), marks, marksGeneration);
  const assembled = cache
    ? cache.assemble(
        flagKey,
        environment.key,
        query.bucketSeconds,
        { fromMs: from.getTime(), loadFromMs: plan.loadFromMs, nowMs: now.getTime(), generation: plan.generation, touches: plan.touches },
        fresh ?? plan.tail!,
      )
    : null;
  const series = assembled?.points ?? fresh ?? [];

  const response: MetricsResponse = {
    flagKey,
    environment: environment.key,
    windowSeconds: query.windowSeconds,
    bucketSeconds: query.bucketSeconds,
    from: from.toISOString(),
    to: now.toISOString(),
    latencyEdgesMs: LATENCY_EDGES_MS,
    series,
    markers: marks,
  };
  // The cache keeps each finished bucket serialised, so the answer is mostly string concatenation.
  const head = {
    flagKey: response.flagKey,
    environment: response.environment,
    windowSeconds: response.windowSeconds,
    bucketSeconds: response.bucketSeconds,
    from: response.from,
    to: response.to,
    latencyEdgesMs: response.latencyEdgesMs,
  };
  const json = `${JSON.stringify(head).slice(0, -1)},"series":${assembled?.json ?? JSON.stringify(series)},"markers":${JSON.stringify(marks)}}`;
  return Object.assign(response, { [SERIALISED]: json });
}

const SERIALISED = Symbol("serialised");

/** The answer as JSON text, reusing the cache's serialised buckets when there are any. */
export function metricsJson(response: MetricsResponse): string {
  return (response as MetricsResponse & { [SERIALISED]?: string })[SERIALISED] ?? JSON.stringify(response);
}

/** The points of [from, to) read from the rollups, with their subject counts. */
async function freshPoints(
  db: Db,
  flagId: string,
  environment: string,
  from: Date,
  to: Date,
  bucketSeconds: number,
): Promise<MetricPoint[]> {
  const [rows, subjects] = await Promise.all([
    db.$queryRaw<SeriesRow[]>`
      SELECT t, variant, requests::float8 AS requests, errors::float8 AS errors, errors_by_code, latency_sum_ms, latency_buckets::float8[] AS latency_buckets, evaluations::float8 AS evaluations, adoption
      FROM rollgate_metric_buckets(${flagId}::uuid, ${environment}, ${from}::timestamptz, ${to}::timestamptz, ${bucketSeconds}::int)`,
    subjectCounts(db, flagId, environment, from, to, bucketSeconds),
  ]);
  const fresh = rows.map(toPoint);
  for (const p of fresh) {
    const s = subjects.get(`${p.t}/${p.variant}`);
    p.subjects = s?.subjects ?? null;
    p.errorSubjects = s?.errorSubjects ?? 0;
  }
  const perBucket = new Map<string, { on: number; off: number }>();
  for (const p of fresh) {
    const b = perBucket.get(p.t) ?? { on: 0, off: 0 };
    b[p.variant] += p.subjects ?? 0;
    perBucket.set(p.t, b);
  }
  for (const p of fresh) {
    const b = perBucket.get(p.t)!;
    p.subjectAdoption = b.on + b.off > 0 ? b.on / (b.on + b.off) : null;
  }
  return fresh;
}

/**
 * Distinct subjects per bucket and variant: the rows' sketches merged (a union, so a subject seen in
 * several minutes counts once), and the exact erroring subjects from their set.
 */
async function subjectCounts(db: Db, flagId: string, environment: string, from: Date, to: Date, bucketSeconds: number) {
  const [sketches, erring] = await Promise.all([
    db.$queryRaw<{ t: Date; variant: string; sketch: Uint8Array }[]>`
      SELECT date_bin(make_interval(secs => ${bucketSeconds}::int), minute, timestamptz 'epoch') AS t, variant, subjects_sketch AS sketch
      FROM metric_rollups
      WHERE flag_id = ${flagId}::uuid AND environment_key = ${environment} AND minute >= ${from}::timestamptz AND minute < ${to}::timestamptz
        AND subjects_sketch IS NOT NULL`,
    db.$queryRaw<{ t: Date; variant: string; n: number }[]>`
      SELECT date_bin(make_interval(secs => ${bucketSeconds}::int), minute, timestamptz 'epoch') AS t, variant, count(DISTINCT subject)::int AS n
      FROM metric_error_subjects
      WHERE flag_id = ${flagId}::uuid AND environment_key = ${environment} AND minute >= ${from}::timestamptz AND minute < ${to}::timestamptz
      GROUP BY 1, 2`,
  ]);
  const merged = new Map<string, Uint8Array>();
  for (const r of sketches) {
    const key = `${r.t.toISOString()}/${r.variant}`;
    const into = merged.get(key);
    if (into) mergeSketch(into, r.sketch);
    else merged.set(key, mergeInto(emptySketch(), r.sketch));
  }
  const out = new Map<string, { subjects: number | null; errorSubjects: number }>();
  for (const [key, sketch] of merged) out.set(key, { subjects: estimateSubjects(sketch), errorSubjects: 0 });
  for (const r of erring) {
    const key = `${r.t.toISOString()}/${r.variant}`;
    out.set(key, { subjects: out.get(key)?.subjects ?? null, errorSubjects: r.n });
  }
  return out;
}

function mergeInto(into: Uint8Array, other: Uint8Array): Uint8Array {
  mergeSketch(into, other);
  return into;
}

const MAX_MARKERS = 100;

const MARKED: Record<string, MetricMarker["kind"]> = {
  "rollout.advance": "advance",
  "rollout.complete": "complete",
  "rollout.pause": "pause",
  "rollout.resume": "resume",
  "rollout.rollback": "rollback",
  "flag_state.kill": "kill",
  "flag_state.restore": "restore",
};

/** Phase changes, kills and restores in the window, from the audit log (the record of what happened). */
async function markers(db: Db, flagKey: string, environment: string, from: Date, to: Date): Promise<MetricMarker[]> {
  const target = `${flagKey}/${environment}`;
  const rows = await db.auditLog.findMany({
    where: {
      at: { gte: from, lte: to },
      action: { in: Object.keys(MARKED) },
      OR: [{ targetId: target }, { targetId: { startsWith: `${target}/` } }],
    },
    orderBy: { id: "asc" },
    take: MAX_MARKERS,
    select: { at: true, action: true, actor: true, after: true },
  });
  return rows.map((r) => {
    const kind = MARKED[r.action]!;
    const phase = (r.after as { currentPhase?: number } | null)?.currentPhase;
    return {
      t: r.at.toISOString(),
      kind,
      label: `${kind}${kind === "advance" && phase !== undefined ? ` to phase ${phase + 1}` : ""} by ${r.actor}`,
    };
  });
}

function toPoint(r: SeriesRow): MetricPoint {
  const requests = Number(r.requests);
  const errors = Number(r.errors);
  const slots = r.latency_buckets;
  const overflow: PercentileName[] = [];
  const pct = (name: PercentileName, q: number) => {
    const v = quantileUpperBoundMs(slots, q);
    if (v === null) return null;
    if (!Number.isFinite(v)) {
      overflow.push(name);
      return TOP_EDGE_MS;
    }
    return v;
  };
  return {
    t: r.t.toISOString(),
    variant: r.variant,
    requests,
    errors,
    successRate: requests > 0 ? (requests - errors) / requests : null,
    errorRate: requests > 0 ? errors / requests : null,
    errorsByCode: Object.fromEntries(Object.entries(r.errors_by_code).map(([k, v]) => [k, Number(v)])),
    p50Ms: pct("p50", 0.5),
    p95Ms: pct("p95", 0.95),
    p99Ms: pct("p99", 0.99),
    overflow,
    meanMs: requests > 0 ? r.latency_sum_ms / requests : null,
    evaluations: Number(r.evaluations),
    adoption: r.adoption,
    subjects: null,
    errorSubjects: 0,
    subjectAdoption: null,
  };
}
