// Raw events are bounded: daily partitions created ahead, whole days past retention dropped, and
// rollups (which every chart reads) kept for their own, longer retention.
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { setUpTestDatabase } from "../support/fixture";
import { applyRetention } from "../../lib/metrics/retention";

const DAY = 24 * 3600 * 1000;
// Far enough ahead that none of the partitions the migration created fall in the window.
const today = Math.floor(Date.now() / DAY) * DAY + 40 * DAY;
const now = new Date(today + 12 * 3600 * 1000);
let flagId: string;

const t = setUpTestDatabase();
beforeAll(async () => {
  flagId = (await t.sql(`INSERT INTO flags (key) VALUES ('retained') RETURNING id`)).rows[0].id;
});

async function partitions(): Promise<{ name: string; rls: boolean }[]> {
  const { rows } = await t.sql(
    `SELECT c.relname AS name, c.relrowsecurity AS rls FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'events'::regclass ORDER BY 1`,
  );
  return rows;
}
const dayName = (ms: number) => `events_p${new Date(ms).toISOString().slice(0, 10).replaceAll("-", "")}`;

async function insertEvent(at: Date): Promise<void> {
  await t.sql(
    `INSERT INTO events (flag_id, environment_key, variant, outcome, latency_ms, occurred_at) VALUES ($1, 'production', 'on', 'success', 10, $2)`,
    [flagId, at],
  );
}

describe("event retention", () => {
  it("creates the days ahead, moves early arrivals out of the default partition, and drops whole days past retention", async () => {
    await insertEvent(new Date(now.getTime() - 10 * DAY)); // past retention
    await insertEvent(new Date(now.getTime() - 3 * DAY)); // kept, no partition yet
    await insertEvent(new Date(now.getTime() - 3600_000)); // kept, no partition yet
    await t.sql(
      `INSERT INTO metric_rollups (flag_id, environment_key, variant, minute, requests) VALUES
         ($1, 'production', 'on', date_trunc('minute', $2::timestamptz), 1), ($1, 'production', 'on', date_trunc('minute', $3::timestamptz), 1)`,
      [flagId, new Date(now.getTime() - 40 * DAY), new Date(now.getTime() - 10 * DAY)],
    );
    // A rollout's split traffic on both sides of the cut (30 days back, inside an hour): the promotion
    // gate's hourly totals keep what is left of that hour and nothing of the hours before it.
    const cut = now.getTime() - 30 * DAY;
    await t.sql(
      `INSERT INTO metric_rollups (flag_id, environment_key, variant, minute, phase, reason, requests) VALUES
         ($1, 'production', 'on', date_trunc('minute', $2::timestamptz), 0, 'SPLIT', 5),
         ($1, 'production', 'on', date_trunc('minute', $3::timestamptz), 0, 'SPLIT', 7),
         ($1, 'production', 'on', date_trunc('minute', $4::timestamptz), 0, 'SPLIT', 11)`,
      [flagId, new Date(cut - 2 * 3600_000), new Date(cut - 60_000), new Date(cut + 60_000)],
    );
    await t.sql(
      `INSERT INTO metric_error_subjects (flag_id, environment_key, variant, minute, phase, reason, subject) VALUES
         ($1, 'production', 'on', date_trunc('minute', $2::timestamptz), -1, 'UNKNOWN', md5('old')::uuid),
         ($1, 'production', 'on', date_trunc('minute', $3::timestamptz), -1, 'UNKNOWN', md5('recent')::uuid)`,
      [flagId, new Date(now.getTime() - 9 * DAY), new Date(now.getTime() - 2 * DAY)],
    );
    const defaultRowsBefore = (await t.sql(`SELECT count(*)::int AS n FROM events_default`)).rows[0].n;
    expect(defaultRowsBefore).toBe(3);

    // Who was seen: the week a reach counts over and one day more are kept (8 days before today).
    for (const daysAgo of [9, 8, 0])
      await t.sql(
        `INSERT INTO audience_samples (environment_key, day, user_id, subject_hash, context) VALUES ('production', $1::date, $2, 1, '{}')`,
        [new Date(today - daysAgo * DAY).toISOString().slice(0, 10), `seen-${daysAgo}-days-ago`],
      );
    // Batch ids an SDK may send again: a day is kept.
    const tokenId = (
      await t.sql(
        `INSERT INTO api_tokens (name, kind, environment_key, token_hash, token_prefix) VALUES ('sdk', 'sdk', 'production', 'h-retention', 'rg_') RETURNING id`,
      )
    ).rows[0].id;
    await t.sql(
      `INSERT INTO ingest_batches (token_id, batch_id, received_at) VALUES ($1, 'batch-of-two-days-ago', $2), ($1, 'batch-of-an-hour-ago', $3)`,
      [tokenId, new Date(now.getTime() - 2 * DAY), new Date(now.getTime() - 3600_000)],
    );
    const result = await applyRetention(t.db, { eventDays: 7, rollupDays: 30 }, now);
    expect((await t.sql(`SELECT batch_id FROM ingest_batches`)).rows).toEqual([{ batch_id: "batch-of-an-hour-ago" }]);
    const seen = await t.sql(`SELECT user_id FROM audience_samples ORDER BY day`);
    expect(seen.rows.map((r) => r.user_id)).toEqual(["seen-8-days-ago", "seen-0-days-ago"]);
    // Days today − 7 … today + 3 created; the 40-day-old rollup and the 9-day-old error subject deleted.
    expect(result).toMatchObject({ partitionsCreated: 11, rollupsDeleted: 3, errorSubjectsDeleted: 1 });
    // (An hour the cut emptied but did not pass keeps a row of zeros until the next pass.)
    const hours = await t.sql(
      `SELECT hour, sum(requests)::int AS requests FROM metric_split_hours GROUP BY hour HAVING sum(requests) <> 0 ORDER BY hour`,
    );
    expect(hours.rows).toEqual([{ hour: new Date(Math.floor((cut + 60_000) / 3600_000) * 3600_000), requests: 11 }]);
    expect(
      (await t.sql(`SELECT count(*)::int AS n FROM metric_split_hours WHERE hour < date_trunc('hour', $1::timestamptz)`, [new Date(cut)]))
        .rows[0].n,
    ).toBe(0);

    const names = (await partitions()).map((p) => p.name);
    for (let d = -7; d <= 3; d++) expect(names).toContain(dayName(today + d * DAY));
    // Every day that ended before the oldest kept day is gone, the migration's own days included.
    const daily = names.filter((n) => n !== "events_default");
    expect(daily.every((n) => n >= dayName(today - 7 * DAY))).toBe(true);
    expect(names).toContain("events_default");

    const { rows } = await t.sql(`SELECT tableoid::regclass::text AS part, occurred_at FROM events ORDER BY occurred_at`);
    expect(rows.map((r) => r.part)).toEqual([dayName(today - 3 * DAY), dayName(today)]);
    expect((await t.sql(`SELECT count(*)::int AS n FROM metric_rollups`)).rows[0].n).toBe(2);
    expect((await t.sql(`SELECT count(*)::int AS n FROM metric_error_subjects`)).rows[0].n).toBe(1);
  });

  it("new partitions are as locked down as every other table (row-level security on)", async () => {
    const parts = await partitions();
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.filter((p) => !p.rls)).toEqual([]);
  });

  it("two days later drops two more days, and a second pass changes nothing", async () => {
    const later = new Date(now.getTime() + 2 * DAY);
    const first = await applyRetention(t.db, { eventDays: 7, rollupDays: 30 }, later);
    expect(first).toMatchObject({ partitionsCreated: 2, partitionsDropped: 2 });
    const again = await applyRetention(t.db, { eventDays: 7, rollupDays: 30 }, later);
    expect(again).toEqual({ partitionsCreated: 0, partitionsDropped: 0, rollupsDeleted: 0, errorSubjectsDeleted: 0 });
    const names = (await partitions()).map((p) => p.name);
    expect(names).not.toContain(dayName(today - 7 * DAY));
    expect(names).toContain(dayName(today - 5 * DAY));
    expect(names).toContain(dayName(today + 5 * DAY));
  });

  it("refuses to create more than 400 days at once, and changes nothing then", async () => {
    const before = (await partitions()).length;
    await expect(t.sql(`SELECT rollgate_ensure_event_partitions('2020-01-01', '2022-01-01')`)).rejects.toThrow(/at most 400 days/);
    expect((await partitions()).length).toBe(before);
  });

  it("runs beside another instance's start-up lock-down without either failing", async () => {
    // An instance starting (rollgate_lock_down() re-grants every table) while another's retention
    // creates and drops partitions: both changed the same catalog rows, and one failed with "tuple
    // concurrently updated", a deadlock or "cache lookup failed for relation" (CI, 2026-12-07: a
    // second server refused to start). Each pass here creates one day and drops one.
    const lockDown = new pg.Client({ connectionString: t.url });
    await lockDown.connect();
    try {
      const start = now.getTime() + 10 * DAY;
      const passes = (async () => {
        for (let i = 0; i < 20; i++) await applyRetention(t.db, { eventDays: 7, rollupDays: 30 }, new Date(start + i * DAY));
      })();
      const lockDowns = (async () => {
        for (let i = 0; i < 40; i++) await lockDown.query("SELECT rollgate_lock_down()");
      })();
      const outcomes = await Promise.allSettled([passes, lockDowns]);
      expect(outcomes.map((o) => (o.status === "rejected" ? String(o.reason) : o.status))).toEqual(["fulfilled", "fulfilled"]);
    } finally {
      await lockDown.end();
    }
    const names = (await partitions()).map((p) => p.name);
    expect(names).toContain(dayName(now.getTime() + 32 * DAY));
    expect(names).not.toContain(dayName(now.getTime() + 15 * DAY));
  });
});
