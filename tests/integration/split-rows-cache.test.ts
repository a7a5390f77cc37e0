// The guardrail worker's look at a split keeps each hour's minute rows and reloads only the hours
// written since (lib/metrics/split-rows-cache.ts). Whatever writes them (new minutes, late events
// into past hours, a purge that moves counts between minutes and leaves the hour's sums as they were,
// retention), a look gives exactly what reading every minute row gives, and reads only what changed.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestDatabase } from "../support/fixture";
import { seededRandom } from "../support/unleash-spec";
import { loadSplitRows } from "../../lib/metrics/split-rows";
import { lookAtSplitRows, lookAtSplitSketches, splitRowsCacheStats, splitSketchesRead } from "../../lib/metrics/split-rows-cache";
import { emptySketch, mergeSketch } from "../../lib/domain/subject-sketch";
import type { EvidenceRollupRow } from "../../lib/domain/guardrail-evidence";

const t = setUpTestDatabase();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const base = Math.floor(Date.now() / HOUR) * HOUR - 8 * HOUR;
let app: pg.Client;
let flagId = "";

beforeAll(async () => {
  // Written as the app writes them, through its role: the hour counts come from its triggers.
  app = new pg.Client({ connectionString: t.appUrl });
  await app.connect();
  flagId = (await t.sql(`INSERT INTO flags (key) VALUES ('cached-split') RETURNING id`)).rows[0].id as string;
});
afterAll(async () => {
  await app?.end();
});

/** Adds `requests` (and errors) to minute rows as an ingest batch does, upserted in one statement. */
async function add(rows: { minute: number; variant: "on" | "off"; phase: number; requests: number; errors: number }[]) {
  await app.query(
    `INSERT INTO metric_rollups AS m (flag_id, environment_key, variant, minute, phase, reason, requests, errors, error_subjects, latency_buckets)
     SELECT $1, 'production', g.variant, g.minute, g.phase, 'SPLIT', sum(g.requests), sum(g.errors), sum(g.errors),
            array_fill(sum(g.requests)::bigint, ARRAY[1]) || array_fill(0::bigint, ARRAY[19])
       FROM unnest($2::timestamptz[], $3::text[], $4::int[], $5::bigint[], $6::bigint[]) AS g(minute, variant, phase, requests, errors)
      GROUP BY g.variant, g.minute, g.phase
     ON CONFLICT (flag_id, environment_key, variant, minute, phase, reason) DO UPDATE SET
       requests = m.requests + excluded.requests, errors = m.errors + excluded.errors, error_subjects = m.error_subjects + excluded.error_subjects,
       latency_buckets = ARRAY(SELECT a + b FROM unnest(m.latency_buckets, excluded.latency_buckets) AS u(a, b))`,
    [
      flagId,
      rows.map((r) => new Date(r.minute)),
      rows.map((r) => r.variant),
      rows.map((r) => r.phase),
      rows.map((r) => r.requests),
      rows.map((r) => r.errors),
    ],
  );
}

const ordered = (rows: readonly EvidenceRollupRow[]) =>
  [...rows].sort((a, b) => a.minute - b.minute || a.phase - b.phase || a.variant.localeCompare(b.variant));

/** A look through the cache, checked against every minute row read afresh; returns the rows it read. */
async function lookAndCompare(since: number, heldOutTokenIds: string[] = []): Promise<number> {
  const before = splitRowsCacheStats().rowsRead;
  const q = { flagId, environment: "production", since: new Date(since), heldOutTokenIds };
  const looked = await lookAtSplitRows(t.db, q);
  const read = splitRowsCacheStats().rowsRead - before;
  const truth = await loadSplitRows(t.db, q);
  expect(looked.map((r) => r.minute)).toEqual([...looked.map((r) => r.minute)].sort((a, b) => a - b));
  expect(ordered(looked)).toEqual(ordered(truth));
  return read;
}

describe("the guardrail worker's cached look at a split", () => {
  it("gives what every minute row gives after each kind of write, reading only the hours written since", async () => {
    const random = seededRandom(11);
    const minuteIn = (hour: number) => base + hour * HOUR + Math.floor(random() * 60) * MINUTE;
    const batch = (hours: number[], n: number) =>
      Array.from({ length: n }, () => ({
        minute: minuteIn(hours[Math.floor(random() * hours.length)]!),
        variant: random() < 0.5 ? ("on" as const) : ("off" as const),
        phase: random() < 0.3 ? 0 : 1,
        requests: 1 + Math.floor(random() * 30),
        errors: random() < 0.3 ? 1 : 0,
      }));
    for (let i = 0; i < 12; i++) await add(batch([0, 1, 2, 3, 4, 5, 6], 40));
    const since = base + 17 * MINUTE;

    const first = await lookAndCompare(since);
    expect(first).toBeGreaterThan(200);
    // Nothing written since: nothing read.
    expect(await lookAndCompare(since)).toBe(0);

    // Late events into hour 2: that hour is read again, and only it.
    await add(batch([2], 10));
    const hour2 = (
      await t.sql(`SELECT count(*)::int AS n FROM metric_rollups WHERE minute >= $1 AND minute < $2`, [
        new Date(base + 2 * HOUR),
        new Date(base + 3 * HOUR),
      ])
    ).rows[0].n as number;
    expect(await lookAndCompare(since)).toBe(hour2);

    // Five requests moved from one minute to another of hour 4 in one statement: the hour's sums are
    // as they were, its rows are not.
    const { rows: two } = await t.sql(
      `SELECT minute, variant, phase FROM metric_rollups WHERE minute >= $1 AND minute < $2 AND requests > 5 ORDER BY minute LIMIT 2`,
      [new Date(base + 4 * HOUR), new Date(base + 5 * HOUR)],
    );
    expect(two).toHaveLength(2);
    await app.query(
      `UPDATE metric_rollups SET requests = requests + CASE WHEN minute = $2 AND variant = $3 AND phase = $4 THEN -5 ELSE 5 END
        WHERE flag_id = $1 AND ((minute = $2 AND variant = $3 AND phase = $4) OR (minute = $5 AND variant = $6 AND phase = $7))`,
      [flagId, two[0].minute, two[0].variant, two[0].phase, two[1].minute, two[1].variant, two[1].phase],
    );
    expect(await lookAndCompare(since)).toBeGreaterThan(0);
    expect(await lookAndCompare(since)).toBe(0);

    // Retention cutting through hour 1, and a brand-new hour.
    await app.query(`DELETE FROM metric_rollups WHERE flag_id = $1 AND minute < $2`, [flagId, new Date(base + HOUR + 30 * MINUTE)]);
    await add(batch([7], 5));
    await lookAndCompare(since);
    expect(await lookAndCompare(since)).toBe(0);

    // A later start (a new rollout of the flag): read afresh from there.
    await lookAndCompare(base + 3 * HOUR + 59 * MINUTE);

    // Rows emptied by a TRUNCATE (no row triggers fire): the hours go with them, and so do the kept rows.
    await lookAndCompare(since);
    await t.sql(`TRUNCATE metric_rollups`);
    expect(await lookAtSplitRows(t.db, { flagId, environment: "production", since: new Date(since) })).toEqual([]);
    await add(batch([5], 5));
    await lookAndCompare(since);

    // With a token held out, every row is read and the token taken off, as before.
    const token = (
      await t.sql(
        `INSERT INTO api_tokens (name, kind, environment_key, token_hash, token_prefix) VALUES ('held', 'sdk', 'production', 'cache-held', 'rg_') RETURNING id`,
      )
    ).rows[0].id as string;
    expect(await lookAndCompare(since, [token])).toBeGreaterThan(0);
  });

  it("merges each arm's subject sketches for the sample-ratio look as a fresh read does, reading only hours written since", async () => {
    const sketchFlag = (await t.sql(`INSERT INTO flags (key) VALUES ('cached-sketches') RETURNING id`)).rows[0].id as string;
    // Sketches of made-up subjects: each row's registers from a hash of its minute, arm and a salt.
    const write = (fromHour: number, toHour: number, salt: string) =>
      app.query(
        `INSERT INTO metric_rollups AS m (flag_id, environment_key, variant, minute, phase, reason, requests, latency_buckets, subjects_sketch)
         SELECT $1, 'production', v, g, p, 'SPLIT', 10, '{}',
                decode(string_agg(substr(md5(g::text || v || p || $4 || i), 1, 2), '' ORDER BY i), 'hex')
           FROM generate_series($2::timestamptz, $3::timestamptz, interval '7 minutes') g, (VALUES ('on'), ('off')) x(v),
                (VALUES (0), (1)) y(p), generate_series(1, 256) i
          GROUP BY g, v, p
         ON CONFLICT (flag_id, environment_key, variant, minute, phase, reason) DO UPDATE SET
           requests = m.requests + excluded.requests, subjects_sketch = rollgate_sketch_union(m.subjects_sketch, excluded.subjects_sketch)`,
        [sketchFlag, new Date(base + fromHour * HOUR), new Date(base + toHour * HOUR - MINUTE), salt],
      );
    /** Each arm's union read afresh, as the look read it before it kept hours. */
    const truth = async (since: number) => {
      const { rows } = await t.sql(
        `SELECT variant, subjects_sketch FROM metric_rollups WHERE flag_id = $1 AND reason = 'SPLIT' AND phase = 1 AND minute >= $2 AND subjects_sketch IS NOT NULL`,
        [sketchFlag, new Date(since)],
      );
      const merged: Record<string, Uint8Array | null> = { on: null, off: null };
      for (const r of rows) mergeSketch((merged[r.variant as string] ??= emptySketch()), r.subjects_sketch as Uint8Array);
      return merged;
    };
    const look = async (since: number) => {
      const before = splitSketchesRead();
      const got = await lookAtSplitSketches(t.db, { flagId: sketchFlag, environment: "production", phase: 1, since: new Date(since) });
      expect(got).toEqual(await truth(since));
      return splitSketchesRead() - before;
    };
    await write(0, 6, "a");
    const since = base + 25 * MINUTE;
    expect(await look(since)).toBeGreaterThan(50);
    expect(await look(since)).toBe(0);
    // New subjects in hour 3 only: that hour's sketched rows of the phase are read again.
    await write(3, 4, "b");
    const { rows } = await t.sql(
      `SELECT count(*)::int AS n FROM metric_rollups WHERE flag_id = $1 AND phase = 1 AND minute >= $2 AND minute < $3 AND subjects_sketch IS NOT NULL`,
      [sketchFlag, new Date(base + 3 * HOUR), new Date(base + 4 * HOUR)],
    );
    expect(await look(since)).toBe(rows[0].n);
    // An arm with no sketched rows stays null; retention's cut is seen too.
    await app.query(`DELETE FROM metric_rollups WHERE flag_id = $1 AND minute < $2`, [sketchFlag, new Date(base + 2 * HOUR + 10 * MINUTE)]);
    await look(since);
    expect(await look(since)).toBe(0);
    await app.query(`DELETE FROM metric_rollups WHERE flag_id = $1 AND variant = 'off'`, [sketchFlag]);
    expect(
      (await lookAtSplitSketches(t.db, { flagId: sketchFlag, environment: "production", phase: 1, since: new Date(since) })).off,
    ).toBeNull();
  });
});
