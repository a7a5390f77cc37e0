import type { MetricMarker, MetricPoint } from "./metrics-schemas";

/** What a metrics notification says: new events for these flags (null: any), none older than `since`. */
export interface MetricsInvalidation {
  environment: string;
  flags: string[] | null;
  /** Start (ms) of the oldest minute the events touched; undefined: anything may have changed. */
  sinceMs?: number;
}

/** What one ingestion stored: events of these flags, none older than `sinceMs`. */
export interface IngestedChange extends MetricsInvalidation {
  flags: string[];
  sinceMs: number;
}

/** The current, unfinished bucket as last read, valid until new events for it are announced. */
interface Tail {
  bucketStart: number;
  points: MetricPoint[];
  json: string;
  storedAt: number;
}

interface Entry {
  /** Points of finished buckets, by bucket start (ms); both variants of a bucket together. */
  buckets: Map<number, MetricPoint[]>;
  /** The same points serialised once (JSON array elements without brackets), for the answer. */
  json: Map<number, string>;
  /** Buckets in [fromMs, untilMs) are all here (absent = no traffic). */
  fromMs: number;
  untilMs: number;
  /** The finished buckets from `fromMs` joined, kept until they change or the window moves. */
  joined: { fromMs: number; untilMs: number; points: MetricPoint[]; json: string } | null;
  tail: Tail | null;
  /** Bumped by every invalidation that reopens finished buckets, so a racing load does not store them. */
  generation: number;
  /** Bumped by every invalidation at all, so a racing load does not store the current bucket. */
  touches: number;
  usedAt: number;
}

/** What a read has to load, and the tokens that let it store what it read. */
export interface MetricsPlan {
  loadFromMs: number;
  generation: number;
  touches: number;
  /** The current bucket, when nothing has been announced for it since it was read. */
  tail: { points: MetricPoint[]; json: string } | null;
}

const MAX_ENTRIES = 500;
/**
 * The current bucket is trusted for this long at most: notifications keep it honest, and this bounds
 * how stale it can get if one is lost before the listener notices its connection dropped.
 */
const TAIL_TTL_MS = 5_000;

/**
 * Metric series per flag, environment and bucket size, so a chart's refresh reads at most the current
 * bucket instead of a whole day of rollups, and N people watching one flag cost one read per change.
 * Finished buckets are kept until an invalidation reopens them; the current bucket until new events
 * for the flag are announced. Ingestion announces every batch to its own instance at once (read your
 * writes) and to every instance by the `rollgate_metrics` notification, sent after each batch with
 * the oldest minute it touched (at most two per second per environment): a late event reopens its
 * bucket. When notifications may have been lost (the listener reconnected) everything is dropped.
 */
export class MetricsCache {
  private entries = new Map<string, Entry>();
  private marks = new Map<string, { fromMs: number; markers: MetricMarker[] }>();
  private marksGeneration = 0;

  /** Which range still has to be read for a series over [fromMs, nowMs), and tokens to store it. */
  plan(flagKey: string, environment: string, bucketSeconds: number, fromMs: number, nowMs = Date.now()): MetricsPlan {
    const key = keyOf(flagKey, environment, bucketSeconds);
    let entry = this.entries.get(key);
    // An empty entry from the start, so an invalidation during the first load is noticed too.
    if (!entry) this.entries.set(key, (entry = emptyEntry(fromMs)));
    if (entry.fromMs > fromMs || entry.untilMs <= fromMs) {
      return { loadFromMs: fromMs, generation: entry.generation, touches: entry.touches, tail: null };
    }
    const bucketMs = bucketSeconds * 1000;
    const current = Math.floor(nowMs / bucketMs) * bucketMs;
    const tail = entry.tail;
    const fresh = tail && tail.bucketStart === current && entry.untilMs === current && nowMs - tail.storedAt < TAIL_TTL_MS;
    return { loadFromMs: entry.untilMs, generation: entry.generation, touches: entry.touches, tail: fresh ? tail : null };
  }

  /**
   * The series over [fromMs, nowMs): cached buckets before `loadFromMs` and the fresh points after.
   * Buckets that have ended by `nowMs` are kept for next time, unless an invalidation came in since
   * `plan` handed out `generation`; the current one is kept unless any invalidation came in since.
   */
  assemble(
    flagKey: string,
    environment: string,
    bucketSeconds: number,
    range: { fromMs: number; loadFromMs: number; nowMs: number; generation: number; touches?: number },
    fresh: MetricPoint[] | { points: MetricPoint[]; json: string },
  ): { points: MetricPoint[]; json: string } {
    const key = keyOf(flagKey, environment, bucketSeconds);
    const bucketMs = bucketSeconds * 1000;
    const finishedBefore = Math.floor(range.nowMs / bucketMs) * bucketMs;
    let entry = this.entries.get(key);
    const cached = entry && range.loadFromMs > range.fromMs ? joinedOf(entry, range.fromMs, range.loadFromMs) : null;

    // Fresh points by bucket, serialised once: stored for next time when the bucket has ended.
    const freshByBucket = new Map<number, MetricPoint[]>();
    const freshJson = new Map<number, string>();
    const freshPoints = Array.isArray(fresh) ? fresh : fresh.points;
    if (Array.isArray(fresh)) {
      for (const p of fresh) {
        const t = Date.parse(p.t);
        const list = freshByBucket.get(t);
        if (list) list.push(p);
        else freshByBucket.set(t, [p]);
      }
      for (const [t, points] of freshByBucket) freshJson.set(t, JSON.stringify(points).slice(1, -1));
    } else if (fresh.json) {
      freshJson.set(finishedBefore, fresh.json);
    }

    if ((entry?.generation ?? 0) === range.generation && finishedBefore > range.loadFromMs) {
      if (!entry || range.loadFromMs === range.fromMs) {
        entry = { ...emptyEntry(range.fromMs), generation: entry?.generation ?? 0, touches: entry?.touches ?? 0 };
        this.entries.set(key, entry);
      }
      for (const [t, points] of freshByBucket) {
        if (t >= finishedBefore) continue;
        entry.buckets.set(t, points);
        entry.json.set(t, freshJson.get(t)!);
      }
      entry.untilMs = finishedBefore;
      entry.joined = null;
      entry.tail = null;
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
    if (entry && Array.isArray(fresh) && range.touches === entry.touches && entry.untilMs === finishedBefore) {
      const points = freshByBucket.get(finishedBefore) ?? [];
      entry.tail = { bucketStart: finishedBefore, points, json: freshJson.get(finishedBefore) ?? "", storedAt: range.nowMs };
    }
    if (entry) entry.usedAt = Date.now();
    this.evict();
    const freshStarts = [...freshJson.keys()].sort((a, b) => a - b);
    const parts = [cached?.json ?? "", ...freshStarts.map((t) => freshJson.get(t)!)].filter((j) => j !== "");
    return { points: cached?.points.length ? [...cached.points, ...freshPoints] : freshPoints, json: `[${parts.join(",")}]` };
  }

  invalidate(change: MetricsInvalidation, nowMs = Date.now()): void {
    for (const [key, entry] of this.entries) {
      const [flag, environment, bucketSeconds] = key.split("\u0000") as [string, string, string];
      if (environment !== change.environment || (change.flags && !change.flags.includes(flag))) continue;
      entry.touches++;
      entry.tail = null;
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
      entry.joined = null;
      entry.untilMs = Math.max(entry.fromMs, reopened);
    }
  }

  /**
   * The markers (phase changes, kills, restores) of a flag since `fromMs`, when read before and
   * nothing changed since: every action they record also changes the flag's configuration or a
   * rollout, whose notifications call `invalidateMarkers`.
   */
  markers(flagKey: string, environment: string, fromMs: number): MetricMarker[] | null {
    const hit = this.marks.get(`${flagKey}\u0000${environment}`);
    if (!hit || hit.fromMs > fromMs) return null;
    return hit.markers.filter((m) => Date.parse(m.t) >= fromMs);
  }

  /** A token for `storeMarkers`, taken before reading them. */
  markersGeneration(): number {
    return this.marksGeneration;
  }

  storeMarkers(flagKey: string, environment: string, fromMs: number, markers: MetricMarker[], generation: number): void {
    if (generation !== this.marksGeneration) return;
    // Markers are capped per read, so a full list may have cut older ones: not reusable for them.
    if (this.marks.size >= MAX_ENTRIES) this.marks.clear();
    this.marks.set(`${flagKey}\u0000${environment}`, { fromMs, markers });
  }

  invalidateMarkers(): void {
    this.marksGeneration++;
    this.marks.clear();
  }

  clear(): void {
    this.entries.clear();
    this.invalidateMarkers();
  }

  private evict(): void {
    if (this.entries.size <= MAX_ENTRIES) return;
    const oldest = [...this.entries].sort((a, b) => a[1].usedAt - b[1].usedAt).slice(0, this.entries.size - MAX_ENTRIES);
    for (const [key] of oldest) this.entries.delete(key);
  }
}

function emptyEntry(fromMs: number): Entry {
  return {
    buckets: new Map(),
    json: new Map(),
    fromMs,
    untilMs: fromMs,
    joined: null,
    tail: null,
    generation: 0,
    touches: 0,
    usedAt: Date.now(),
  };
}

/** The cached buckets in [fromMs, untilMs), points and serialised, joined once per change. */
function joinedOf(entry: Entry, fromMs: number, untilMs: number): { points: MetricPoint[]; json: string } {
  const j = entry.joined;
  if (j && j.fromMs === fromMs && j.untilMs === untilMs) return j;
  const starts = [...entry.buckets.keys()].filter((t) => t >= fromMs && t < untilMs).sort((a, b) => a - b);
  const points: MetricPoint[] = [];
  const json: string[] = [];
  for (const t of starts) {
    points.push(...entry.buckets.get(t)!);
    const s = entry.json.get(t)!;
    if (s) json.push(s);
  }
  entry.joined = { fromMs, untilMs, points, json: json.join(",") };
  return entry.joined;
}

const keyOf = (flagKey: string, environment: string, bucketSeconds: number) => `${flagKey}\u0000${environment}\u0000${bucketSeconds}`;
