import type { MetricPoint } from "./metrics-schemas";

/** What a metrics notification says: new events for these flags (null: any), none older than `since`. */
export interface MetricsInvalidation {
  environment: string;
  flags: string[] | null;
  /** Start (ms) of the oldest minute the events touched; undefined: anything may have changed. */
  sinceMs?: number;
}

interface Entry {
  /** Points of finished buckets, by bucket start (ms); both variants of a bucket together. */
  buckets: Map<number, MetricPoint[]>;
  /** The same points serialised once (JSON array elements without brackets), for the answer. */
  json: Map<number, string>;
  /** Buckets in [fromMs, untilMs) are all here (absent = no traffic). */
  fromMs: number;
  untilMs: number;
  /** Bumped by every invalidation, so a load that raced one does not store what it read. */
  generation: number;
  usedAt: number;
}

const MAX_ENTRIES = 500;

/**
 * Finished buckets of metric series, per flag, environment and bucket size, so a chart's refresh
 * reads only the buckets since its last one instead of a whole day of rollups. Every instance
 * listens to the `rollgate_metrics` notification that ingestion sends after each batch (with the
 * oldest minute it touched), and drops what that batch may have changed: a late event reopens its
 * bucket. When notifications may have been lost (the listener reconnected) everything is dropped.
 */
export class MetricsCache {
  private entries = new Map<string, Entry>();

  /** Which range still has to be read for a series over [fromMs, nowMs), and a token to store it. */
  plan(flagKey: string, environment: string, bucketSeconds: number, fromMs: number): { loadFromMs: number; generation: number } {
    const key = keyOf(flagKey, environment, bucketSeconds);
    let entry = this.entries.get(key);
    // An empty entry from the start, so an invalidation during the first load is noticed too.
    if (!entry)
      this.entries.set(key, (entry = { buckets: new Map(), json: new Map(), fromMs, untilMs: fromMs, generation: 0, usedAt: Date.now() }));
    if (entry.fromMs > fromMs || entry.untilMs <= fromMs) return { loadFromMs: fromMs, generation: entry.generation };
    return { loadFromMs: entry.untilMs, generation: entry.generation };
  }

  /**
   * The series over [fromMs, nowMs): cached buckets before `loadFromMs` and the fresh points after.
   * Buckets that have ended by `nowMs` are kept for next time, unless an invalidation came in since
   * `plan` handed out `generation`.
   */
  assemble(
    flagKey: string,
    environment: string,
    bucketSeconds: number,
    range: { fromMs: number; loadFromMs: number; nowMs: number; generation: number },
    fresh: MetricPoint[],
  ): { points: MetricPoint[]; json: string } {
    const key = keyOf(flagKey, environment, bucketSeconds);
    const bucketMs = bucketSeconds * 1000;
    let entry = this.entries.get(key);
    const cached: MetricPoint[] = [];
    const cachedJson: string[] = [];
    if (entry && range.loadFromMs > range.fromMs) {
      const starts = [...entry.buckets.keys()].filter((t) => t >= range.fromMs && t < range.loadFromMs).sort((a, b) => a - b);
      for (const t of starts) {
        cached.push(...entry.buckets.get(t)!);
        cachedJson.push(entry.json.get(t)!);
      }
    }
    // Fresh points by bucket, serialised once: stored for next time when the bucket has ended.
    const freshByBucket = new Map<number, MetricPoint[]>();
    for (const p of fresh) {
      const t = Date.parse(p.t);
      const list = freshByBucket.get(t);
      if (list) list.push(p);
      else freshByBucket.set(t, [p]);
    }
    const freshJson = new Map<number, string>();
    for (const [t, points] of freshByBucket) freshJson.set(t, JSON.stringify(points).slice(1, -1));
    const finishedBefore = Math.floor(range.nowMs / bucketMs) * bucketMs;
    if ((entry?.generation ?? 0) === range.generation && finishedBefore > range.loadFromMs) {
      if (!entry || range.loadFromMs === range.fromMs) {
        entry = {
          buckets: new Map(),
          json: new Map(),
          fromMs: range.fromMs,
          untilMs: range.fromMs,
          generation: entry?.generation ?? 0,
          usedAt: 0,
        };
        this.entries.set(key, entry);
      }
      for (const [t, points] of freshByBucket) {
        if (t >= finishedBefore) continue;
        entry.buckets.set(t, points);
        entry.json.set(t, freshJson.get(t)!);
      }
      entry.untilMs = finishedBefore;
      // Nothing older than the longest window is asked for again.
      const oldest = range.nowMs - 8 * 24 * 3600 * 1000;
      if (entry.fromMs < oldest) {
        for (const t of entry.buckets.keys()) {
          if (t < oldest) {
            entry.buckets.delete(t);
            entry.json.delete(t);
          }
        }
        entry.fromMs = Math.ceil(oldest / bucketMs) * bucketMs;
      }
    }
    if (entry) entry.usedAt = Date.now();
    this.evict();
    const freshStarts = [...freshJson.keys()].sort((a, b) => a - b);
    const parts = [...cachedJson, ...freshStarts.map((t) => freshJson.get(t)!)].filter((j) => j !== "");
    return { points: cached.length ? [...cached, ...fresh] : fresh, json: `[${parts.join(",")}]` };
  }

  invalidate(change: MetricsInvalidation, nowMs = Date.now()): void {
    for (const [key, entry] of this.entries) {
      const [flag, environment, bucketSeconds] = key.split("\u0000") as [string, string, string];
      if (environment !== change.environment || (change.flags && !change.flags.includes(flag))) continue;
      const bucketMs = Number(bucketSeconds) * 1000;
      const reopened = change.sinceMs === undefined ? Number.NEGATIVE_INFINITY : Math.floor(change.sinceMs / bucketMs) * bucketMs;
      // A load running now stores only buckets that ended before the current one; events of the
      // current bucket (the usual case) cannot make what it read stale.
      if (reopened < Math.floor(nowMs / bucketMs) * bucketMs) entry.generation++;
      if (reopened >= entry.untilMs) continue;
      for (const t of entry.buckets.keys()) {
        if (t >= reopened) {
          entry.buckets.delete(t);
          entry.json.delete(t);
        }
      }
      entry.untilMs = Math.max(entry.fromMs, reopened);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  private evict(): void {
    if (this.entries.size <= MAX_ENTRIES) return;
    const oldest = [...this.entries].sort((a, b) => a[1].usedAt - b[1].usedAt).slice(0, this.entries.size - MAX_ENTRIES);
    for (const [key] of oldest) this.entries.delete(key);
  }
}

const keyOf = (flagKey: string, environment: string, bucketSeconds: number) => `${flagKey}\u0000${environment}\u0000${bucketSeconds}`;
