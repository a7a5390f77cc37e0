// The guardrails watch a multivariate flag's variants (issue 25): a variant that errs more than the
// control variant, by the always-valid test at α/k, pauses the active rollout once and is recorded
// (audit entry guardrail.variant, webhook); weather that hits every variant alike does nothing.
// Real server with its guardrail worker every 300 ms, real PostgreSQL, reports over HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { LATENCY_EDGES_MS, LATENCY_SLOTS } from "../../lib/domain/latency-buckets";
import { BOOTSTRAP, call, patchFlagState, quickPhases, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { eventually } from "../support/eventually";
import { startReceiver } from "../support/webhook-receiver";

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP, env: { ROLLGATE_GUARDRAIL_INTERVAL_MS: "300" } });
const eng = ROLE_TOKENS.engineer;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
  await t.sql(`INSERT INTO webhooks (environment_key, name, url) VALUES ('production', 'alerts', $1)`, [receiver.url("/alerts")]);
});
afterAll(async () => {
  await receiver?.close();
});
const alerts = (key: string) =>
  receiver
    .received("/alerts")
    .map((r) => JSON.parse(r.body) as { text?: string; rollgate: { kind: string; flagKey: string } })
    .filter((b) => b.rollgate.flagKey === key && b.rollgate.kind === "guardrail.breached");

/** A flag with variants control/blue/green in production, under an active rollout, watched by a lax guardrail. */
async function watchedVariantFlag(key: string, options: { stateChangedMinutesAgo?: number } = {}): Promise<string> {
  expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
  const targeting = {
    strategies: [{ rollout: 100 }],
    variants: [
      { name: "control", weight: 500 },
      { name: "blue", weight: 250 },
      { name: "green", weight: 250 },
    ],
  };
  expect((await patchFlagState(app.url, eng, key, "production", { enabled: true, targeting })).status).toBe(200);
  const plan = await call(app.url, "POST", "/api/v1/rollouts", {
    token: eng,
    body: { flagKey: key, environment: "production", phases: quickPhases(50, 100) },
  });
  expect(plan.status, JSON.stringify(plan.body)).toBe(201);
  expect((await call(app.url, "POST", `/api/v1/rollouts/${plan.body.id}/advance`, { token: eng, body: { version: 1 } })).status).toBe(200);
  // Evidence counts from the minute the flag's state last changed: moved back, so that reports of
  // the last half hour count (before the guardrail below makes the worker look at all).
  if (options.stateChangedMinutesAgo)
    await t.sql(
      `UPDATE flag_states SET updated_at = now() - make_interval(mins => $2) WHERE environment_key = 'production' AND flag_id = (SELECT id FROM flags WHERE key = $1)`,
      [key, options.stateChangedMinutesAgo],
    );
  // A threshold far above what the test sends: only the variant comparison can act.
  const set = await call(app.url, "PUT", `/api/v1/flags/${key}/environments/production/guardrails`, {
    token: ROLE_TOKENS.oncall,
    body: { guardrails: [{ metric: "error_rate", threshold: 0.9, windowSeconds: 600, minSamples: 40, action: "notify" }] },
  });
  expect(set.status, JSON.stringify(set.body)).toBe(200);
  return plan.body.id as string;
}

/** `minutes` minutes (ending now) of per-variant outcomes: errors per minute for each variant. */
async function report(
  key: string,
  minutes: number,
  errorsPerMinute: (name: string, minute: number) => number,
  latencyBuckets: (name: string, minute: number, requests: number) => number[] = (_n, _m, requests) => [
    0,
    0,
    requests,
    ...new Array(LATENCY_SLOTS - 3).fill(0),
  ],
) {
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const summaries = [];
  for (let m = 0; m < minutes; m++) {
    for (const [name, requests] of [
      ["control", 400],
      ["blue", 200],
      ["green", 200],
    ] as const) {
      summaries.push({
        flagKey: key,
        variant: "on",
        variantName: name,
        minute: new Date(now - (minutes - 1 - m) * 60_000).toISOString(),
        requests,
        errors: errorsPerMinute(name, m),
        ...latencyOf(latencyBuckets(name, m, requests)),
      });
    }
  }
  const res = await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { summaries } });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
}

/** Buckets and a latency sum inside them (each request at its slot's lower edge). */
function latencyOf(buckets: number[]) {
  return { latencyBuckets: buckets, latencySumMs: buckets.reduce((a, n, i) => a + n * (i === 0 ? 0 : LATENCY_EDGES_MS[i - 1]!), 0) };
}

const rolloutStatus = async (id: string) => (await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body.status as string;
const variantEntries = async (key: string) =>
  (
    await t.sql(`SELECT after FROM audit_log WHERE action = 'guardrail.variant' AND target_id = $1 ORDER BY id`, [`${key}/production`])
  ).rows.map((r) => r.after as { variant: string; control: string; verdict: string; acted: string });

describe("guardrails on a multivariate flag's variants", () => {
  it("a variant that errs more than control pauses the active rollout, once, and says which", async () => {
    const key = `vg-bad-${process.pid}`;
    const rollout = await watchedVariantFlag(key);
    // The evidence counts from the minute the flag's state last changed: these minutes are after it.
    await report(key, 3, (name) => (name === "green" ? 20 : name === "blue" ? 2 : 4));
    await eventually(async () => (await rolloutStatus(rollout)) === "paused", 15_000, "the rollout is paused");
    const entries = await variantEntries(key);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ variant: "green", control: "control", verdict: "worse", acted: "paused the rollout" });
    // More bad minutes: the alarm has acted, and acts no more.
    await report(key, 2, (name) => (name === "green" ? 40 : 4));
    await new Promise((r) => setTimeout(r, 1500));
    expect(await variantEntries(key)).toHaveLength(1);
    // The environment's webhook hears it once, naming the variant.
    await eventually(() => alerts(key).length > 0, 10_000, "the webhook is delivered");
    expect(alerts(key)).toHaveLength(1);
    expect(JSON.stringify(alerts(key)[0])).toContain("variant green against control");
  });

  it("weather that hits every variant alike pauses nothing", async () => {
    const key = `vg-weather-${process.pid}`;
    const rollout = await watchedVariantFlag(key);
    // Every variant at 10 % errors: control included.
    await report(key, 3, (name) => (name === "control" ? 40 : 20));
    // The worker has looked (the evidence row holds verdicts for both variants), and judged them clear.
    await eventually(
      async () => {
        const { rows } = await t.sql(
          `SELECT e.verdicts FROM variant_evidence e JOIN flags f ON f.id = e.flag_id WHERE f.key = $1 AND e.environment_key = 'production'`,
          [key],
        );
        const v = rows[0]?.verdicts as Record<string, { verdict: string }> | undefined;
        return v?.blue?.verdict === "clear" && v?.green?.verdict === "clear";
      },
      15_000,
      "both variants judged",
    );
    expect(await rolloutStatus(rollout)).toBe("active");
    expect(await variantEntries(key)).toEqual([]);
    expect(alerts(key)).toEqual([]);
  });

  it("a variant slower than control (errors alike) pauses the rollout once, as a latency alarm", async () => {
    const key = `vg-slow-${process.pid}`;
    const rollout = await watchedVariantFlag(key, { stateChangedMinutesAgo: 40 });
    // Control's first 15 minutes set the threshold near its p95; then green turns slow, blue does not.
    const usual = (n: number) => spread(n, [0.75, 0.2, 0.04, 0.01]);
    const slow = (n: number) => spread(n, [0.5, 0.25, 0.1, 0.15]);
    await report(
      key,
      30,
      (name) => (name === "control" ? 4 : 2),
      (name, m, n) => (name === "green" && m >= 15 ? slow(n) : usual(n)),
    );
    await eventually(async () => (await rolloutStatus(rollout)) === "paused", 15_000, "the rollout is paused");
    const entries = await variantEntries(key);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ variant: "green", kind: "latency", control: "control", acted: "paused the rollout" });
    const { rows } = await t.sql(
      `SELECT e.verdicts FROM variant_evidence e JOIN flags f ON f.id = e.flag_id WHERE f.key = $1 AND e.environment_key = 'production'`,
      [key],
    );
    const verdicts = rows[0]!.verdicts as Record<string, { verdict: string; latency: { verdict: string; thresholdMs: number } }>;
    expect(verdicts.green!.verdict).toBe("clear");
    expect(verdicts.green!.latency.verdict).toBe("worse");
    expect(verdicts.blue!.latency.verdict).toBe("clear");
    // The API's Variants comparison says the same.
    const api = await call(app.url, "GET", `/api/v1/flags/${key}/variants?environment=production&windowSeconds=3600`, { token: eng });
    const green = api.body.variants.find((v: { name: string }) => v.name === "green");
    expect(green.vsControl.latency).toMatchObject({ verdict: "worse", thresholdMs: verdicts.green!.latency.thresholdMs });
  });
});

/** `requests` over four latency slots (25–50, 50–75, 100–150, 250–300 ms) in these shares. */
function spread(requests: number, shares: number[]): number[] {
  const buckets = new Array<number>(LATENCY_SLOTS).fill(0);
  const slots = [3, 4, 6, 9];
  let left = requests;
  shares.forEach((share, i) => {
    const n = i === shares.length - 1 ? left : Math.round(requests * share);
    buckets[slots[i]!] = n;
    left -= n;
  });
  return buckets;
}
