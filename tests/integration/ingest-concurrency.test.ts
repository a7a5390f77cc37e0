// Concurrent batches that each span many minutes and flags lock many rollup rows: they must wait for
// each other, never deadlock or fail (issue 16: 1 of 160 such batches was lost to a 40P01 before).
import { beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN } from "../support/http";

const FLAGS = ["ic-a", "ic-b", "ic-c", "ic-d", "ic-e"];

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });
beforeAll(async () => {
  for (const key of FLAGS)
    expect((await call(app.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key } })).status).toBe(201);
});

describe("concurrent ingestion", () => {
  it("8 senders × 13 batches spanning 30 minutes and 5 flags: every batch accepted, totals exact", async () => {
    const now = Date.now();
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const statuses: number[] = [];
    const sent = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let b = 0; b < 13; b++) {
          const events = Array.from({ length: 1000 }, () => {
            const flagKey = FLAGS[Math.floor(rnd() * FLAGS.length)]!;
            const variant = rnd() < 0.5 ? "on" : "off";
            sent.set(`${flagKey}/${variant}`, (sent.get(`${flagKey}/${variant}`) ?? 0) + 1);
            return {
              flagKey,
              variant,
              outcome: rnd() < 0.05 ? "error" : "success",
              latencyMs: Math.floor(rnd() * 500),
              targetingKey: `u-${Math.floor(rnd() * 500)}`,
              timestamp: new Date(now - Math.floor(rnd() * 30 * 60_000)).toISOString(),
            };
          });
          statuses.push((await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { events } })).status);
        }
      }),
    );
    expect(statuses).toHaveLength(104);
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    const { rows } = await t.sql(
      `SELECT f.key || '/' || m.variant AS k, sum(m.requests)::int AS n FROM metric_rollups m JOIN flags f ON f.id = m.flag_id GROUP BY 1`,
    );
    expect(Object.fromEntries(rows.map((r) => [r.k, r.n]))).toEqual(Object.fromEntries(sent));
  });
});
