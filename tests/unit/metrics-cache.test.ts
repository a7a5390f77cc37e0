import { describe, expect, it } from "vitest";
import { MetricsCache } from "../../lib/metrics/metrics-cache";
import type { MetricPoint } from "../../lib/metrics/metrics-schemas";

const MIN = 60_000;
const point = (t: number, variant: "on" | "off", requests: number): MetricPoint => ({
  t: new Date(t).toISOString(),
  variant,
  requests,
  errors: 0,
  successRate: 1,
  errorRate: 0,
  errorsByCode: {},
  p50Ms: 5,
  p95Ms: 5,
  p99Ms: 5,
  overflow: [],
  meanMs: 1,
  evaluations: 0,
  adoption: null,
  subjects: null,
  errorSubjects: 0,
  subjectAdoption: null,
});

/** A stand-in for the rollups: requests per minute, read the way getFlagMetrics reads them. */
function source() {
  const minutes = new Map<number, number>();
  let reads = 0;
  return {
    add: (t: number, n: number) => minutes.set(t, (minutes.get(t) ?? 0) + n),
    read(fromMs: number, nowMs: number) {
      reads += Math.max(0, Math.ceil((nowMs - fromMs) / MIN));
      return [...minutes].filter(([t]) => t >= fromMs && t < nowMs).map(([t, n]) => point(t, "on", n));
    },
    get reads() {
      return reads;
    },
  };
}

function series(cache: MetricsCache, db: ReturnType<typeof source>, fromMs: number, nowMs: number) {
  const plan = cache.plan("f", "production", 60, fromMs, nowMs);
  const out = cache.assemble(
    "f",
    "production",
    60,
    { fromMs, loadFromMs: plan.loadFromMs, nowMs, generation: plan.generation, touches: plan.touches },
    plan.tail ?? db.read(plan.loadFromMs, nowMs),
  );
  // The serialised answer is the points, in the same order.
  expect(JSON.parse(out.json)).toEqual(out.points);
  return out.points;
}

describe("metrics cache", () => {
  const t0 = 1_000 * 60 * MIN;

  it("answers what an uncached read answers while reading only the minutes since its last finished one", () => {
    const db = source();
    const cache = new MetricsCache();
    for (let m = 0; m < 60; m++) db.add(t0 + m * MIN, m + 1);
    const first = series(cache, db, t0, t0 + 60 * MIN + 5000);
    expect(first.map((p) => p.requests)).toEqual(Array.from({ length: 60 }, (_, m) => m + 1));
    const readsAfterFirst = db.reads;
    db.add(t0 + 60 * MIN, 7);
    const second = series(cache, db, t0 + MIN, t0 + 61 * MIN + 5000);
    expect(second.map((p) => p.requests)).toEqual([...Array.from({ length: 59 }, (_, m) => m + 2), 7]);
    expect(db.reads - readsAfterFirst).toBeLessThanOrEqual(2);
  });

  it("a late event reopens its bucket and everything after it", () => {
    const db = source();
    const cache = new MetricsCache();
    for (let m = 0; m < 10; m++) db.add(t0 + m * MIN, 1);
    series(cache, db, t0, t0 + 10 * MIN);
    db.add(t0 + 3 * MIN, 100);
    expect(series(cache, db, t0, t0 + 10 * MIN)[3]!.requests).toBe(1); // not told yet
    cache.invalidate({ environment: "production", flags: ["f"], sinceMs: t0 + 3 * MIN + 12_000 }, t0 + 10 * MIN);
    expect(series(cache, db, t0, t0 + 10 * MIN).map((p) => p.requests)).toEqual([1, 1, 1, 101, 1, 1, 1, 1, 1, 1]);
  });

  it("ignores other flags and environments, and forgets everything when told nothing specific", () => {
    const db = source();
    const cache = new MetricsCache();
    db.add(t0, 1);
    series(cache, db, t0, t0 + 2 * MIN);
    db.add(t0, 1);
    cache.invalidate({ environment: "staging", flags: null }, t0 + 2 * MIN);
    cache.invalidate({ environment: "production", flags: ["other"], sinceMs: t0 }, t0 + 2 * MIN);
    expect(series(cache, db, t0, t0 + 2 * MIN)[0]!.requests).toBe(1);
    cache.invalidate({ environment: "production", flags: null }, t0 + 2 * MIN);
    expect(series(cache, db, t0, t0 + 2 * MIN)[0]!.requests).toBe(2);
  });

  it("does not store a read that raced an invalidation of the buckets it read", () => {
    const db = source();
    const cache = new MetricsCache();
    db.add(t0, 1);
    const plan = cache.plan("f", "production", 60, t0);
    const stale = db.read(plan.loadFromMs, t0 + 5 * MIN);
    db.add(t0, 1);
    cache.invalidate({ environment: "production", flags: ["f"], sinceMs: t0 }, t0 + 5 * MIN);
    cache.assemble(
      "f",
      "production",
      60,
      { fromMs: t0, loadFromMs: plan.loadFromMs, nowMs: t0 + 5 * MIN, generation: plan.generation },
      stale,
    );
    expect(series(cache, db, t0, t0 + 5 * MIN)[0]!.requests).toBe(2);
  });

  it("serves the current bucket from the cache until new events for the flag are announced", () => {
    const db = source();
    const cache = new MetricsCache();
    db.add(t0 + 2 * MIN, 1);
    series(cache, db, t0, t0 + 2 * MIN + 30_000);
    const reads = db.reads;
    expect(series(cache, db, t0, t0 + 2 * MIN + 31_000)[0]!.requests).toBe(1);
    expect(db.reads).toBe(reads); // nothing read at all
    db.add(t0 + 2 * MIN, 1);
    cache.invalidate({ environment: "production", flags: ["other"], sinceMs: t0 + 2 * MIN }, t0 + 2 * MIN + 32_000);
    expect(series(cache, db, t0, t0 + 2 * MIN + 32_000)[0]!.requests).toBe(1); // another flag's events
    cache.invalidate({ environment: "production", flags: ["f"], sinceMs: t0 + 2 * MIN }, t0 + 2 * MIN + 33_000);
    expect(series(cache, db, t0, t0 + 2 * MIN + 33_000)[0]!.requests).toBe(2);
  });

  it("reads the current bucket again once it is over or a few seconds old, announced or not", () => {
    const db = source();
    const cache = new MetricsCache();
    db.add(t0 + 2 * MIN, 1);
    series(cache, db, t0, t0 + 2 * MIN + 1_000);
    db.add(t0 + 2 * MIN, 1);
    expect(series(cache, db, t0, t0 + 2 * MIN + 4_000)[0]!.requests).toBe(1);
    expect(series(cache, db, t0, t0 + 2 * MIN + 7_000)[0]!.requests).toBe(2);
    db.add(t0 + 2 * MIN, 1);
    db.add(t0 + 3 * MIN, 5);
    expect(series(cache, db, t0, t0 + 3 * MIN + 1_000).map((p) => p.requests)).toEqual([3, 5]);
  });

  it("does not keep a current bucket read while new events for it were announced", () => {
    const db = source();
    const cache = new MetricsCache();
    db.add(t0, 1);
    series(cache, db, t0, t0 + 5 * MIN);
    const now = t0 + 5 * MIN + 1_000;
    const plan = cache.plan("f", "production", 60, t0, now);
    const stale = db.read(plan.loadFromMs, now);
    db.add(t0 + 5 * MIN, 1);
    cache.invalidate({ environment: "production", flags: ["f"], sinceMs: t0 + 5 * MIN }, now);
    cache.assemble(
      "f",
      "production",
      60,
      { fromMs: t0, loadFromMs: plan.loadFromMs, nowMs: now, generation: plan.generation, touches: plan.touches },
      stale,
    );
    expect(series(cache, db, t0, now + 500).map((p) => p.requests)).toEqual([1, 1]);
  });

  it("keeps markers until a configuration or rollout change, and not a read that raced one", () => {
    const cache = new MetricsCache();
    const kill = { t: new Date(t0 + MIN).toISOString(), kind: "kill" as const, label: "kill by a" };
    expect(cache.markers("f", "production", t0)).toBeNull();
    cache.storeMarkers("f", "production", t0, [kill], cache.markersGeneration());
    expect(cache.markers("f", "production", t0)).toEqual([kill]);
    expect(cache.markers("f", "production", t0 + 2 * MIN)).toEqual([]); // the window moved past it
    expect(cache.markers("f", "production", t0 - MIN)).toBeNull(); // older than what was read
    const generation = cache.markersGeneration();
    cache.invalidateMarkers();
    expect(cache.markers("f", "production", t0)).toBeNull();
    cache.storeMarkers("f", "production", t0, [kill], generation);
    expect(cache.markers("f", "production", t0)).toBeNull();
  });
});
