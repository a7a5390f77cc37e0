// The promotion gate sums a rollout's whole phase from hourly totals kept by triggers on metric_rollups
// (migration 20261208000100) plus the minutes before the phase's first whole hour. Whatever writes the
// minute rows (upserts adding to rows of past hours, purge-like updates, retention-like deletes), the
// hourly totals stay the minute rows' sums, and the gate's sums stay what adding up every minute row
// gives (loadSplitRows, what the comparison chart reads), with and without held-out tokens.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestDatabase } from "../support/fixture";
import { seededRandom } from "../support/unleash-spec";
import { promotionSumsFromMinutes } from "../support/promotion-sums";
import { promotionEvidenceOf } from "../../lib/rollouts/promotion-evidence";

const t = setUpTestDatabase();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const base = Math.floor(Date.now() / HOUR) * HOUR - 6 * HOUR;
let app: pg.Client;
let flags: string[] = [];
let tokens: string[] = [];

beforeAll(async () => {
  // The writes go through the app's own role: the triggers must work under its grants and row policies.
  app = new pg.Client({ connectionString: t.appUrl });
  await app.connect();
  const f = await t.sql(`INSERT INTO flags (key) VALUES ('sums-a'), ('sums-b') RETURNING id`);
  flags = f.rows.map((r) => r.id as string);
  const k = await t.sql(
    `INSERT INTO api_tokens (name, kind, environment_key, token_hash, token_prefix)
     VALUES ('a', 'sdk', 'production', 'sums-hash-a', 'rg_a'), ('b', 'sdk', 'production', 'sums-hash-b', 'rg_b') RETURNING id`,
  );
  tokens = k.rows.map((r) => r.id as string);
});
afterAll(async () => {
  await app?.end();
});

interface Row {
  flag: string;
  variant: "on" | "off";
  minute: string;
  phase: number;
  reason: string;
  requests: number;
  errors: number;
  errorSubjects: number;
  token: string | null;
}

/** Adds rows as an ingest batch does: minute rows and the reporting token's rows, upserted in one statement. */
async function upsert(rows: Row[], client: pg.Client = app) {
  const col = <K extends keyof Row>(k: K) => rows.map((r) => r[k]);
  await client.query(
    `WITH g AS (
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::int[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::uuid[])
         AS g(flag_id, variant, minute, phase, reason, requests, errors, error_subjects, token_id)
     ), minutes AS (
       INSERT INTO metric_rollups AS m (flag_id, environment_key, variant, minute, phase, reason, requests, errors, error_subjects, latency_buckets)
       SELECT flag_id, 'production', variant, minute, phase, reason, sum(requests), sum(errors), sum(error_subjects), '{}'
         FROM g GROUP BY flag_id, variant, minute, phase, reason
       ON CONFLICT (flag_id, environment_key, variant, minute, phase, reason) DO UPDATE SET
         requests = m.requests + excluded.requests, errors = m.errors + excluded.errors,
         error_subjects = m.error_subjects + excluded.error_subjects
       RETURNING 1
     )
     INSERT INTO metric_rollups_by_token AS b (flag_id, environment_key, minute, token_id, variant, phase, reason, requests, errors)
     SELECT flag_id, 'production', minute, token_id, variant, phase, reason, sum(requests), sum(errors)
       FROM g WHERE token_id IS NOT NULL GROUP BY flag_id, minute, token_id, variant, phase, reason
     ON CONFLICT (flag_id, environment_key, minute, token_id, variant, phase, reason) DO UPDATE SET
       requests = b.requests + excluded.requests, errors = b.errors + excluded.errors`,
    [
      col("flag"),
      col("variant"),
      col("minute"),
      col("phase"),
      col("reason"),
      col("requests"),
      col("errors"),
      col("errorSubjects"),
      col("token"),
    ],
  );
}

function randomRows(random: () => number, count: number): Row[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  return Array.from({ length: count }, () => {
    const requests = 1 + Math.floor(random() * 40);
    // A token's errors may outnumber the minute's erroring subjects (one subject erring again and
    // again): the gate's clamp then decides.
    const errors = random() < 0.4 ? Math.floor(random() * (requests + 1)) : 0;
    return {
      flag: pick(flags),
      variant: pick(["on", "off"] as const),
      minute: new Date(base + Math.floor(random() * 6 * 60) * MINUTE).toISOString(),
      phase: pick([0, 1, 1, 2]),
      reason: random() < 0.85 ? "SPLIT" : "TARGETING_MATCH",
      requests,
      errors,
      errorSubjects: Math.min(errors, Math.floor(random() * 3)),
      token: pick([tokens[0]!, tokens[1]!, null]),
    };
  });
}

/** Rows of metric_split_hours that differ from the minute rows' sums per hour (none when the triggers kept up). */
async function hoursOffTheirMinutes(): Promise<unknown[]> {
  const { rows } = await t.sql(
    `WITH expected AS (
       SELECT flag_id, environment_key, phase, variant, date_trunc('hour', minute) AS hour,
              sum(requests)::bigint AS requests, sum(least(requests, error_subjects))::bigint AS error_subjects
         FROM metric_rollups WHERE reason = 'SPLIT' GROUP BY 1, 2, 3, 4, 5
     )
     SELECT coalesce(e.flag_id, h.flag_id) AS flag, coalesce(e.hour, h.hour) AS hour, e.requests AS minutes_say, h.requests AS hours_say,
            e.error_subjects AS minutes_say_erring, h.error_subjects AS hours_say_erring
       FROM expected e
       FULL JOIN (SELECT flag_id, environment_key, phase, variant, hour, sum(requests)::bigint AS requests,
                         sum(error_subjects)::bigint AS error_subjects
                    FROM metric_split_hours GROUP BY 1, 2, 3, 4, 5) h USING (flag_id, environment_key, phase, variant, hour)
      WHERE coalesce(e.requests, 0) <> coalesce(h.requests, 0) OR coalesce(e.error_subjects, 0) <> coalesce(h.error_subjects, 0)`,
  );
  return rows;
}

describe("the promotion gate's sums over hourly totals", () => {
  it("keeps each hour's totals equal to its minute rows through upserts into past hours, purges and deletes", async () => {
    const random = seededRandom(7);
    for (let batch = 0; batch < 30; batch++) await upsert(randomRows(random, 25));
    expect(await hoursOffTheirMinutes()).toEqual([]);
    const { rows: hours } = await t.sql(`SELECT count(*)::int AS n, count(DISTINCT hour)::int AS hours FROM metric_split_hours`);
    expect(hours[0].hours).toBe(6);

    // A purge of one token's reports in part of the second hour (lib/metrics/purge-token-reports.ts).
    await app.query(
      `UPDATE metric_rollups m SET
         requests = greatest(0, m.requests - b.requests),
         errors = greatest(0, least(m.errors - b.errors, m.requests - b.requests)),
         error_subjects = greatest(0, least(m.error_subjects, m.errors - b.errors))
       FROM metric_rollups_by_token b
       WHERE b.token_id = $1 AND b.minute >= $2 AND b.minute < $3
         AND m.flag_id = b.flag_id AND m.environment_key = b.environment_key AND m.variant = b.variant
         AND m.minute = b.minute AND m.phase = b.phase AND m.reason = b.reason`,
      [tokens[1], new Date(base + HOUR + 10 * MINUTE), new Date(base + HOUR + 50 * MINUTE)],
    );
    await app.query(`DELETE FROM metric_rollups_by_token WHERE token_id = $1 AND minute >= $2 AND minute < $3`, [
      tokens[1],
      new Date(base + HOUR + 10 * MINUTE),
      new Date(base + HOUR + 50 * MINUTE),
    ]);
    expect(await hoursOffTheirMinutes()).toEqual([]);

    // Retention cutting through the first hour, and late events into every hour after it.
    await app.query(`DELETE FROM metric_rollups WHERE minute < $1`, [new Date(base + 25 * MINUTE)]);
    for (let batch = 0; batch < 5; batch++) await upsert(randomRows(random, 25).filter((r) => Date.parse(r.minute) >= base + 25 * MINUTE));
    expect(await hoursOffTheirMinutes()).toEqual([]);
  });

  it("lets concurrent batches that add new minutes to one hour and late ones to another finish without a deadlock", async () => {
    // Each batch inserts new minute rows in one of two hours and adds to existing ones in the other, the
    // order an upsert's UPDATE and INSERT triggers would lock them in reversed between batches.
    const flag = flags[0]!;
    const hourA = base + 4 * HOUR;
    const hourB = base + 5 * HOUR;
    const existing = (hour: number, i: number) => new Date(hour + (i % 30) * MINUTE).toISOString();
    const fresh = (hour: number, i: number) => new Date(hour + (30 + (i % 30)) * MINUTE).toISOString();
    const row = (minute: string, requests: number): Row => ({
      flag,
      variant: "on",
      minute,
      phase: 1,
      reason: "SPLIT",
      requests,
      errors: 0,
      errorSubjects: 0,
      token: null,
    });
    await upsert([0, 1, 2, 3].flatMap((i) => [row(existing(hourA, i), 1), row(existing(hourB, i), 1)]));
    const clients = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const c = new pg.Client({ connectionString: t.appUrl });
        await c.connect();
        return c;
      }),
    );
    try {
      const errors: string[] = [];
      await Promise.all(
        clients.map(async (c, k) => {
          for (let i = 0; i < 15; i++) {
            const [late, early] = k % 2 ? [hourA, hourB] : [hourB, hourA];
            const rows = [row(existing(late, i % 4), 1), row(fresh(early, k * 15 + i), 1)];
            await upsert(rows, c).catch((err: Error) => errors.push(err.message));
          }
        }),
      );
      expect(errors).toEqual([]);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    expect(await hoursOffTheirMinutes()).toEqual([]);
  });

  it("gives the sums of every minute row, with the held-out tokens taken off each, for phases starting on and between hours", async () => {
    const starts = [
      base - HOUR,
      base,
      base + 17 * MINUTE + 25_000,
      base + 2 * HOUR,
      base + 3 * HOUR + 59 * MINUTE,
      Date.now() - 5 * MINUTE,
    ];
    const rollouts = flags.flatMap((flagId, f) =>
      [0, 1, 2].flatMap((phase) =>
        starts.map((start, s) => ({
          id: `${f}-${phase}-${s}`,
          flagId,
          environmentKey: "production",
          currentPhase: phase,
          createdAt: new Date(start),
        })),
      ),
    );
    let nonZero = 0;
    for (const held of [[], [tokens[0]!], [tokens[0]!, tokens[1]!]]) {
      const summed = await promotionEvidenceOf(
        t.db,
        rollouts.map((rollout) => ({ rollout, heldOutTokenIds: held, stored: undefined })),
      );
      for (const [i, rollout] of rollouts.entries()) {
        const expected = await promotionSumsFromMinutes(t.db, rollout, held);
        expect(summed[i], `${rollout.id} without ${held.length} tokens`).toEqual(expected);
        if (expected.onRequests > 0 && expected.events > 0) nonZero++;
      }
    }
    // The comparison is about real sums: most phases have traffic and errors in both arms' minutes.
    expect(nonZero).toBeGreaterThan(60);
  });
});
