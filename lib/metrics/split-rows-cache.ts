import type { Db, Tx } from "../db/client";
import type { EvidenceRollupRow } from "../domain/guardrail-evidence";
import { loadSplitRows, toEvidenceRow, type StoredSplitRow } from "./split-rows";
import { emptySketch, mergeSketch } from "../domain/subject-sketch";

/**
 * The guardrail worker looks at every split flag every few seconds, and each look reads every SPLIT
 * minute since the rollout began (the e-processes judge the whole split): 20,160 rows for a week, most
 * of a look's 170 ms. This keeps each split's minute rows by hour in this process and, at each look,
 * reloads only the hours written since: `metric_split_hours.changes` counts every minute row a
 * statement inserted, updated or deleted in an hour (migration 20261208000200), so an hour whose count
 * has not moved holds exactly the rows kept. Counts and reloaded rows are read in one snapshot.
 *
 * Rows handed out are shared with later looks: callers must not change them. Looks with held-out
 * tokens read everything as before (lib/metrics/split-rows.ts takes the tokens off each row).
 */

/** Rows kept across all splits, about a quarter of a kilobyte each: a week-long split is 20,160. */
const MAX_ROWS = 200_000;
const HOUR_MS = 3_600_000;

interface Hour {
  /** `sum(changes)` of the hour when its rows were read. */
  changes: string;
  rows: EvidenceRollupRow[];
}

interface Entry {
  since: number;
  hours: Map<number, Hour>;
  rows: number;
}

/** By `flagId/environment`, least recently looked at first. */
const entries = new Map<string, Entry>();
let kept = 0;
let rowsRead = 0;

/** What the cache holds and how many rows it has read from the database so far (for tests and benchmarks). */
export function splitRowsCacheStats(): { splits: number; rowsKept: number; rowsRead: number } {
  return { splits: entries.size, rowsKept: kept, rowsRead };
}

/** Forgets a flag's split (it is no longer split, or its evidence started again). */
export function forgetSplitRows(flagId: string, environment: string): void {
  drop(`${flagId}/${environment}`);
}

function drop(key: string): void {
  const entry = entries.get(key);
  if (!entry) return;
  kept -= entry.rows;
  entries.delete(key);
}

interface SplitSince {
  flagId: string;
  environment: string;
  since: Date;
}

/**
 * The split's hours since `since` with their write counts, the hours whose count is not the one `known`
 * holds, and what `load` reads for those (`firstRead`: nothing is known, read everything in one range).
 * One snapshot for all of it; a caller's transaction client reads as that transaction does.
 */
async function readChangedHours<R>(
  db: Db | Tx,
  q: SplitSince,
  known: ReadonlyMap<number, { changes: string }>,
  load: (tx: Tx, stale: Date[], firstRead: boolean) => Promise<R[]>,
): Promise<{ counts: { hour: Date; changes: string }[]; stale: Date[]; fresh: R[] }> {
  const read = async (tx: Tx) => {
    const counts = await tx.$queryRaw<{ hour: Date; changes: string }[]>`
      SELECT hour, sum(changes)::text AS changes FROM metric_split_hours
       WHERE flag_id = ${q.flagId}::uuid AND environment_key = ${q.environment} AND hour >= date_trunc('hour', ${q.since}::timestamptz)
       GROUP BY hour`;
    const stale = counts.filter((c) => known.get(c.hour.getTime())?.changes !== c.changes).map((c) => c.hour);
    return { counts, stale, fresh: stale.length === 0 ? [] : await load(tx, stale, known.size === 0) };
  };
  return "$transaction" in db ? db.$transaction(read, { isolationLevel: "RepeatableRead" }) : read(db);
}

/** `loadSplitRows` for a look at a split since `since`: the same rows, most of them from the last look. */
export async function lookAtSplitRows(db: Db | Tx, q: SplitSince & { heldOutTokenIds?: readonly string[] }): Promise<EvidenceRollupRow[]> {
  if ((q.heldOutTokenIds ?? []).length > 0) {
    const rows = await loadSplitRows(db, q);
    rowsRead += rows.length;
    return rows;
  }
  const key = `${q.flagId}/${q.environment}`;
  const since = q.since.getTime();
  const previous = entries.get(key);
  const known = previous?.since === since ? previous.hours : new Map<number, Hour>();
  drop(key);

  // Per variant (and hour), so the primary key's (flag, environment, variant, minute) bounds each read.
  const { counts, stale, fresh } = await readChangedHours(db, q, known, (tx, hours, firstRead) =>
    firstRead
      ? tx.$queryRaw<StoredSplitRow[]>`
          SELECT m.minute, m.phase, m.variant, m.requests::float8 AS requests, m.error_subjects::float8 AS error_subjects,
                 m.latency_buckets::float8[] AS latency_buckets
            FROM (VALUES ('on'), ('off')) AS v(variant)
            JOIN metric_rollups m
              ON m.flag_id = ${q.flagId}::uuid AND m.environment_key = ${q.environment} AND m.variant = v.variant
             AND m.minute >= ${q.since}::timestamptz AND m.reason = 'SPLIT'`
      : tx.$queryRaw<StoredSplitRow[]>`
          SELECT m.minute, m.phase, m.variant, m.requests::float8 AS requests, m.error_subjects::float8 AS error_subjects,
                 m.latency_buckets::float8[] AS latency_buckets
            FROM unnest(${hours}::timestamptz[]) AS h(start)
           CROSS JOIN (VALUES ('on'), ('off')) AS v(variant)
            JOIN metric_rollups m
              ON m.flag_id = ${q.flagId}::uuid AND m.environment_key = ${q.environment} AND m.variant = v.variant
             AND m.minute >= greatest(h.start, ${q.since}::timestamptz) AND m.minute < h.start + interval '1 hour'
             AND m.reason = 'SPLIT'`,
  );
  rowsRead += fresh.length;
  let uncounted = false;

  const reloaded = new Map<number, EvidenceRollupRow[]>(stale.map((h) => [h.getTime(), []]));
  for (const r of fresh) {
    const start = Math.floor(r.minute.getTime() / HOUR_MS) * HOUR_MS;
    let rows = reloaded.get(start);
    if (!rows) {
      // An hour without a count (the triggers keep one for every split minute): used, and nothing is kept.
      reloaded.set(start, (rows = []));
      counts.push({ hour: new Date(start), changes: "uncounted" });
      uncounted = true;
    }
    rows.push(toEvidenceRow(r));
  }
  for (const rows of reloaded.values()) rows.sort((a, b) => a.minute - b.minute);
  const hours = new Map<number, Hour>();
  let rowCount = 0;
  for (const c of counts.sort((a, b) => a.hour.getTime() - b.hour.getTime())) {
    const start = c.hour.getTime();
    const rows = reloaded.get(start) ?? known.get(start)!.rows;
    hours.set(start, { changes: c.changes, rows });
    rowCount += rows.length;
  }
  // Hours in order, each sorted when read: the rows come out ordered by minute, as loadSplitRows gives them.
  const all: EvidenceRollupRow[] = [];
  for (const hour of hours.values()) for (const r of hour.rows) all.push(r);

  // A look at the same split that ran meanwhile (the worker's and a page's) stored its own: this one replaces it.
  drop(key);
  if (rowCount <= MAX_ROWS && !uncounted) {
    for (const [other] of entries) {
      if (kept + rowCount <= MAX_ROWS) break;
      drop(other);
    }
    entries.set(key, { since, hours, rows: rowCount });
    kept += rowCount;
  }
  return all;
}

/** One hour's subjects per arm, merged (null: the arm has no sketched row in the hour). */
interface SketchHour {
  changes: string;
  on: Uint8Array | null;
  off: Uint8Array | null;
}

/** By `flagId/environment/phase/since`, least recently looked at first; a week is 168 hours of 512 bytes. */
const sketchEntries = new Map<string, Map<number, SketchHour>>();
const MAX_SKETCH_SPLITS = 2_000;
let sketchesRead = 0;

/** How many sketched rows the sample-ratio looks have read from the database so far (for tests). */
export function splitSketchesRead(): number {
  return sketchesRead;
}

/**
 * Each arm's distinct subjects in one phase since `since`, as the union of its SPLIT rows' sketches
 * (null for an arm with none): what the sample-ratio look (lib/guardrails/sample-ratio-look.ts) reads
 * at every look, merged per hour and kept like the minute rows above, so only hours written since
 * the last look are read again. A week is 20,160 sketches of 256 bytes: about 80 ms a look read whole.
 */
export async function lookAtSplitSketches(
  db: Db,
  q: SplitSince & { phase: number },
): Promise<{ on: Uint8Array | null; off: Uint8Array | null }> {
  const key = `${q.flagId}/${q.environment}/${q.phase}/${q.since.getTime()}`;
  const known = sketchEntries.get(key) ?? new Map<number, SketchHour>();
  sketchEntries.delete(key);
  const { counts, stale, fresh } = await readChangedHours(db, q, known, (tx, hours, firstRead) =>
    firstRead
      ? tx.$queryRaw<{ hour: Date; variant: "on" | "off"; sketch: Uint8Array }[]>`
          SELECT date_trunc('hour', m.minute) AS hour, m.variant, m.subjects_sketch AS sketch
            FROM (VALUES ('on'), ('off')) AS v(variant)
            JOIN metric_rollups m
              ON m.flag_id = ${q.flagId}::uuid AND m.environment_key = ${q.environment} AND m.variant = v.variant
             AND m.minute >= ${q.since}::timestamptz AND m.reason = 'SPLIT' AND m.phase = ${q.phase}::int
             AND m.subjects_sketch IS NOT NULL`
      : tx.$queryRaw<{ hour: Date; variant: "on" | "off"; sketch: Uint8Array }[]>`
          SELECT h.start AS hour, m.variant, m.subjects_sketch AS sketch
            FROM unnest(${hours}::timestamptz[]) AS h(start)
           CROSS JOIN (VALUES ('on'), ('off')) AS v(variant)
            JOIN metric_rollups m
              ON m.flag_id = ${q.flagId}::uuid AND m.environment_key = ${q.environment} AND m.variant = v.variant
             AND m.minute >= greatest(h.start, ${q.since}::timestamptz) AND m.minute < h.start + interval '1 hour'
             AND m.reason = 'SPLIT' AND m.phase = ${q.phase}::int AND m.subjects_sketch IS NOT NULL`,
  );
  sketchesRead += fresh.length;
  let uncounted = false;
  const reloaded = new Map<number, SketchHour>(stale.map((h) => [h.getTime(), { changes: "", on: null, off: null }]));
  for (const r of fresh) {
    let hour = reloaded.get(r.hour.getTime());
    if (!hour) {
      // As above: an hour without a count is used, and nothing is kept.
      reloaded.set(r.hour.getTime(), (hour = { changes: "", on: null, off: null }));
      counts.push({ hour: r.hour, changes: "uncounted" });
      uncounted = true;
    }
    mergeSketch((hour[r.variant] ??= emptySketch()), r.sketch);
  }
  const hours = new Map<number, SketchHour>();
  const merged = { on: null as Uint8Array | null, off: null as Uint8Array | null };
  for (const c of counts) {
    const hour = reloaded.get(c.hour.getTime()) ?? known.get(c.hour.getTime())!;
    hour.changes = c.changes;
    hours.set(c.hour.getTime(), hour);
    for (const variant of ["on", "off"] as const) {
      const sketch = hour[variant];
      if (sketch) mergeSketch((merged[variant] ??= emptySketch()), sketch);
    }
  }
  sketchEntries.delete(key);
  if (!uncounted) sketchEntries.set(key, hours);
  for (const [other] of sketchEntries) {
    if (sketchEntries.size <= MAX_SKETCH_SPLITS) break;
    sketchEntries.delete(other);
  }
  return merged;
}
