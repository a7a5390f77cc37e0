// A rollout whose real traffic is red stays red whatever one token reports (issue 23): a token whose
// split disagrees with the other tokens' is held out of the gates, with a sentence naming it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { LATENCY_SLOTS } from "../../lib/domain/latency-buckets";
import { hashSecret } from "../../lib/auth/secrets";
import { startAutoAdvance, type AutoAdvanceWorker } from "../../lib/rollouts/auto-advance";
import { MAX_REQUESTS_PER_TOKEN_FLAG_MINUTE } from "../../lib/metrics/telemetry-bounds";
import { promotionSumsFromMinutes } from "../support/promotion-sums";
import { promotionEvidenceOf } from "../../lib/rollouts/promotion-evidence";
import { BOOTSTRAP, call, ROLE_TOKENS, startLiveRollout } from "../support/http";

const REAL_A = "tok-sdk-holdout-a-0001";
const REAL_B = "tok-sdk-holdout-b-0001";
const FORGER = "tok-sdk-holdout-f-0001";
const { t, app } = setUpTestApp({
  bootstrapTokens: [BOOTSTRAP, ...[REAL_A, REAL_B, FORGER].map((k) => `sdk:production:${k}`)].join(","),
  // The server's own progression worker is kept out of the way; the test drives one with tick().
  env: { ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: "3600000" },
});
const eng = ROLE_TOKENS.engineer;
let worker: AutoAdvanceWorker;
let forgerId = "";

beforeAll(async () => {
  worker = startAutoAdvance(t.db, t.url, { autoStart: false });
  const { rows } = await t.sql(`SELECT id FROM api_tokens WHERE token_hash = $1`, [hashSecret(FORGER)]);
  forgerId = rows[0].id;
});
afterAll(async () => {
  await worker.stop();
});

const minute = () => new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
const summary = (flagKey: string, variant: "on" | "off", requests: number, errors: number) => ({
  flagKey,
  variant,
  reason: "SPLIT",
  minute: minute(),
  requests,
  errors,
  latencySumMs: requests * 2,
  latencyBuckets: [requests, ...new Array<number>(LATENCY_SLOTS - 1).fill(0)],
});
const report = async (token: string, summaries: unknown[]) => {
  const res = await call(app.url, "POST", "/api/v1/events", { token, body: { summaries } });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
};
/** A first phase at `percent` judged by `criteria`, then everyone; no soak time. */
const thenEveryone = (percent: number, criteria: Record<string, number>) => [
  { name: `${percent} %`, percent, minSoakSeconds: 0, criteria },
  { name: "100 %", percent: 100, minSoakSeconds: 0 },
];
const gate = (rollout: { gates: { name: string; ok: boolean; reason: string }[] }, name: string) =>
  rollout.gates.find((g) => g.name === name);

describe("holding out a token that disagrees with the others", () => {
  it("keeps a rollout red at 50 % errors from two real tokens while a third reports a huge, error-free, in-bounds `on`", async () => {
    const key = "holdout-flag";
    expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
    const phases = thenEveryone(50, { maxErrorRate: 0.05, minSamples: 100, windowSeconds: 600 });
    const created = await call(app.url, "POST", "/api/v1/rollouts", {
      token: eng,
      body: { flagKey: key, environment: "production", phases, autoAdvance: true },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, { token: eng, body: { version: 1 } })).status).toBe(200);

    // Real traffic: an even split from two services, half of `on` failing.
    for (const token of [REAL_A, REAL_B]) await report(token, [summary(key, "on", 200, 100), summary(key, "off", 200, 0)]);
    const real = (await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body;
    expect(real.metrics).toMatchObject({ requests: 400, errors: 200, heldOut: [] });
    expect(gate(real, "error rate")).toMatchObject({ ok: false });

    // The forger: as much as the bounds allow, all `on`, no errors.
    const huge = MAX_REQUESTS_PER_TOKEN_FLAG_MINUTE;
    await report(FORGER, [summary(key, "on", huge, 0)]);
    const { rows } = await t.sql(`SELECT sum(requests)::float8 AS n FROM metric_rollups WHERE variant = 'on'`);
    expect(rows[0].n).toBe(400 + huge); // stored (in bounds), and visible in the contributions view

    const after = (await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body;
    expect(after.metrics).toMatchObject({ requests: 400, errors: 200 });
    expect(gate(after, "error rate")).toMatchObject({ ok: false, reason: expect.stringMatching(/^error rate 50 % > 5 %/) });
    expect(after.metrics.heldOut).toHaveLength(1);
    expect(after.metrics.heldOut[0]).toMatchObject({ tokenId: forgerId, label: expect.stringMatching(/^sdk-production \(/) });
    const telemetry = gate(after, "telemetry");
    expect(telemetry?.reason).toMatch(
      /^held out sdk-production \(.+…\): its split traffic is 100\.0 % on against 50\.0 % for the median of 3 tokens/,
    );

    // The change-vs-control chart leaves it out too.
    const chart = (await call(app.url, "GET", `/api/v1/rollouts/${id}/comparison`, { token: eng })).body;
    expect(chart.phases[0].errors.on).toMatchObject({ requests: 400 });
    expect(chart.phases[0].errors.off).toMatchObject({ requests: 400 });

    // Automatic progression sees the same red gate and does not move; neither may an engineer.
    expect(await worker.tick()).toBe(0);
    expect((await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body.currentPhase).toBe(0);
    const advance = await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, { token: eng, body: { version: after.version } });
    expect(advance.status).not.toBe(200);
  });

  it("keeps it red when the forger copies the real split faithfully (not held out): no single token decides a gate", async () => {
    const key = "copied-split-flag";
    const phases = thenEveryone(50, { maxErrorRate: 0.05, minSamples: 100, windowSeconds: 600 });
    const { id } = await startLiveRollout(app.url, eng, key, phases);
    for (const token of [REAL_A, REAL_B]) await report(token, [summary(key, "on", 200, 100), summary(key, "off", 200, 0)]);
    // An even split like everyone else's, 500 times the volume, no errors.
    await report(FORGER, [summary(key, "on", 100_000, 0), summary(key, "off", 100_000, 0)]);

    const after = (await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body;
    expect(after.metrics).toMatchObject({ requests: 100_400, errors: 200, heldOut: [] });
    expect(gate(after, "error rate")).toMatchObject({
      ok: false,
      reason: expect.stringMatching(
        /^error rate 0\.2 % ≤ 5 % over 10 min, 100,400 requests, but 50 % > 5 % without sdk-production \(.+…\)'s reports \(400 requests\)$/,
      ),
    });
    const advance = await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, { token: eng, body: { version: after.version } });
    expect(advance.status).toBe(422);
  });

  it("the rollout list reads every rollout's window at once, and each gets its own: figures, held-out tokens and gates", async () => {
    const key = "one-reporter-flag";
    const phases = thenEveryone(10, { maxErrorRate: 0.05, minSamples: 10, windowSeconds: 120 });
    const { id } = await startLiveRollout(app.url, eng, key, phases);
    await report(REAL_A, [summary(key, "on", 50, 1), summary(key, "off", 450, 0)]);

    const list = await call(app.url, "GET", "/api/v1/rollouts", { token: eng });
    expect(list.status).toBe(200);
    const listed = new Map((list.body.rollouts as { id: string; flagKey: string }[]).map((r) => [r.flagKey, r]));
    const keys = ["holdout-flag", "copied-split-flag", key];
    // The soak gate's sentence counts seconds, which move between the two reads.
    const steady = (r: { metrics: unknown; gates: { name: string }[] }) => ({
      metrics: r.metrics,
      gates: r.gates.filter((g) => g.name !== "soak"),
    });
    for (const k of keys) {
      const inList = listed.get(k) as unknown as { id: string; metrics: unknown; gates: { name: string }[] };
      const own = (await call(app.url, "GET", `/api/v1/rollouts/${inList.id}`, { token: eng })).body;
      expect(steady(inList), k).toEqual(steady(own));
    }
    const metrics = keys.map(
      (k) => (listed.get(k) as unknown as { metrics: { requests: number; errors: number; heldOut: unknown[] } }).metrics,
    );
    expect(metrics.map((m) => [m.requests, m.errors, m.heldOut.length])).toEqual([
      [400, 200, 1],
      [100_400, 200, 0],
      [50, 1, 0],
    ]);
    expect((listed.get(key) as unknown as { id: string }).id).toBe(id);

    // The promotion gate's sums, taken in SQL for a whole list, against the minute rows the comparison
    // chart reads (loadSplitRows), with no token, the forger and two tokens held out.
    const rows = await t.db.rollout.findMany({ where: { id: { in: keys.map((k) => (listed.get(k) as unknown as { id: string }).id) } } });
    const { rows: realA } = await t.sql(`SELECT id FROM api_tokens WHERE token_hash = $1`, [hashSecret(REAL_A)]);
    const totals: number[][] = [];
    for (const held of [[], [forgerId], [forgerId, realA[0].id as string]]) {
      const summed = await promotionEvidenceOf(
        t.db,
        rows.map((rollout) => ({ rollout, heldOutTokenIds: held, stored: undefined })),
      );
      for (const [i, rollout] of rows.entries()) {
        expect(summed[i], `${rollout.id} without ${held.length} tokens`).toEqual(await promotionSumsFromMinutes(t.db, rollout, held));
      }
      totals.push(summed.map((e) => e.onRequests + e.offRequests));
    }
    // The forger's even 100,000 + 100,000 come off the copied split, and the first real token's 500 off the last flag.
    const copied = rows.findIndex((r) => r.id === (listed.get("copied-split-flag") as unknown as { id: string }).id);
    const last = rows.findIndex((r) => r.id === id);
    expect(totals[0]![copied]! - totals[1]![copied]!).toBe(200_000);
    expect(totals[1]![last]! - totals[2]![last]!).toBe(500);
  });
});
