// Outcomes of a multivariate flag per variant (issue 25): events and summaries that name their
// variant are also counted per variant name (metric_variant_rollups), exactly, beside the on/off
// rollups; the SDK and the OpenFeature provider name the variant they served; a purge of one token
// takes its per-variant rows back too. Real server, real PostgreSQL, real SDK clients.
import { beforeAll, describe, expect, it } from "vitest";
import { OpenFeature } from "@openfeature/server-sdk";
import { setUpTestApp } from "../support/fixture";
import { LATENCY_SLOTS, latencySlot } from "../../lib/domain/latency-buckets";
import { hashSecret } from "../../lib/auth/secrets";
import { RollgateClient } from "../../lib/sdk";
import { OutcomeHook, RollgateProvider, withOutcomeTracking } from "../../lib/sdk/openfeature-provider";
import { BOOTSTRAP, call, patchFlagState, ROLE_TOKENS } from "../support/http";
import { eventually } from "../support/eventually";

const SDK_A = "tok-sdk-variants-a-0001";
const SDK_B = "tok-sdk-variants-b-0001";
const { t, app } = setUpTestApp({ bootstrapTokens: [BOOTSTRAP, `sdk:production:${SDK_A}`, `sdk:production:${SDK_B}`].join(",") });
const eng = ROLE_TOKENS.engineer;

/** On for everyone, three variants: control 50 %, blue 30 %, green 20 %. */
const THREE_VARIANTS = {
  strategies: [{ rollout: 100 }],
  variants: [
    { name: "control", weight: 500 },
    { name: "blue", weight: 300 },
    { name: "green", weight: 200 },
  ],
};

async function multivariateFlag(key: string) {
  expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
  const res = await patchFlagState(app.url, eng, key, "production", { enabled: true, rolloutPercent: 0, targeting: THREE_VARIANTS });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

const tokenIds: Record<string, string> = {};
beforeAll(async () => {
  for (const token of [SDK_A, SDK_B]) {
    const { rows } = await t.sql(`SELECT id FROM api_tokens WHERE token_hash = $1`, [hashSecret(token)]);
    tokenIds[token] = rows[0].id;
  }
});

interface VariantTotals {
  requests: number;
  errors: number;
  latency: number;
  slots: number[];
}

/** Per variant name: the sums of metric_variant_rollups for the flag (optionally one token's). */
async function variantTotals(key: string, token?: string): Promise<Record<string, VariantTotals>> {
  const { rows } = await t.sql(
    `SELECT v.variant_name, sum(v.requests)::int AS requests, sum(v.errors)::int AS errors, sum(v.latency_sum_ms)::float8 AS latency,
            (SELECT array_agg(s ORDER BY i) FROM (
               SELECT u.i, sum(u.b)::int AS s FROM metric_variant_rollups v2, unnest(v2.latency_buckets) WITH ORDINALITY u(b, i)
               WHERE v2.flag_id = f.id AND v2.variant_name = v.variant_name AND ($2::uuid IS NULL OR v2.token_id = $2::uuid) GROUP BY u.i) z) AS slots
       FROM metric_variant_rollups v JOIN flags f ON f.id = v.flag_id
      WHERE f.key = $1 AND ($2::uuid IS NULL OR v.token_id = $2::uuid)
      GROUP BY v.variant_name, f.id ORDER BY v.variant_name`,
    [key, token ? tokenIds[token]! : null],
  );
  return Object.fromEntries(
    rows.map((r) => [r.variant_name, { requests: r.requests, errors: r.errors, latency: r.latency, slots: r.slots }]),
  );
}

async function onOffRequests(key: string): Promise<Record<string, number>> {
  const { rows } = await t.sql(
    `SELECT m.variant, sum(m.requests)::int AS n FROM metric_rollups m JOIN flags f ON f.id = m.flag_id WHERE f.key = $1 GROUP BY 1`,
    [key],
  );
  return Object.fromEntries(rows.map((r) => [r.variant, r.n]));
}

const emptySlots = () => new Array<number>(LATENCY_SLOTS).fill(0);
const post = (token: string, body: unknown) => call(app.url, "POST", "/api/v1/events", { token, body });

describe("outcomes per variant", () => {
  it("events and summaries that name their variant are counted per variant, exactly, beside on/off", async () => {
    await multivariateFlag("mv-wire");
    const expected: Record<string, VariantTotals> = {};
    const add = (name: string, requests: number, errors: number, latency: number, slot: number) => {
      const e = (expected[name] ??= { requests: 0, errors: 0, latency: 0, slots: emptySlots() });
      e.requests += requests;
      e.errors += errors;
      e.latency += latency;
      e.slots[slot]! += requests;
    };
    const events = [];
    for (let i = 0; i < 60; i++) {
      const name = ["control", "blue", "green"][i % 3]!;
      const error = i % 7 === 0;
      const latencyMs = 5 + i;
      events.push({
        flagKey: "mv-wire",
        variant: "on",
        variantName: name,
        outcome: error ? "error" : "success",
        latencyMs,
        targetingKey: `u-${i}`,
      });
      add(name, 1, error ? 1 : 0, latencyMs, latencySlot(latencyMs));
    }
    // Events that name no variant (an older SDK) count as on/off only.
    events.push({ flagKey: "mv-wire", variant: "on", outcome: "success", latencyMs: 1 });
    events.push({ flagKey: "mv-wire", variant: "off", outcome: "success", latencyMs: 1 });
    expect((await post(SDK_A, { events })).status).toBe(202);
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000).toISOString();
    const slotted = (n: number) => [n, ...new Array<number>(LATENCY_SLOTS - 1).fill(0)];
    const summaries = [
      {
        flagKey: "mv-wire",
        variant: "on",
        variantName: "blue",
        minute,
        requests: 40,
        errors: 4,
        latencySumMs: 40,
        latencyBuckets: slotted(40),
      },
      {
        flagKey: "mv-wire",
        variant: "on",
        variantName: "control",
        minute,
        requests: 50,
        errors: 1,
        latencySumMs: 50,
        latencyBuckets: slotted(50),
      },
    ];
    expect((await post(SDK_B, { summaries })).status).toBe(202);
    add("blue", 40, 4, 40, 0);
    add("control", 50, 1, 50, 0);

    expect(await variantTotals("mv-wire")).toEqual(expected);
    // Every named outcome is also an `on` in the rollups the charts and guardrails read.
    expect(await onOffRequests("mv-wire")).toEqual({ on: 60 + 1 + 90, off: 1 });
    // Per token: the summaries were B's, the events A's.
    expect(Object.fromEntries(Object.entries(await variantTotals("mv-wire", SDK_B)).map(([k, v]) => [k, v.requests]))).toEqual({
      blue: 40,
      control: 50,
    });
  });

  it.each([
    [
      "an event naming a variant beside off",
      { events: [{ flagKey: "mv-bad", variant: "off", variantName: "blue", outcome: "success", latencyMs: 1 }] },
      "events.0.variantName",
    ],
    [
      "an empty variant name",
      { events: [{ flagKey: "mv-bad", variant: "on", variantName: "", outcome: "success", latencyMs: 1 }] },
      "events.0.variantName",
    ],
    [
      "a summary naming a variant beside off",
      {
        summaries: [
          {
            flagKey: "mv-bad",
            variant: "off",
            variantName: "blue",
            minute: new Date().toISOString(),
            requests: 1,
            errors: 0,
            latencySumMs: 1,
            latencyBuckets: [1, ...new Array(LATENCY_SLOTS - 1).fill(0)],
          },
        ],
      },
      "summaries.0.variantName",
    ],
    [
      "a name of 101 characters",
      { events: [{ flagKey: "mv-bad", variant: "on", variantName: "v".repeat(101), outcome: "success", latencyMs: 1 }] },
      "events.0.variantName",
    ],
  ])("refuses %s with 400 on the field, storing nothing", async (_what, body, field) => {
    if (!(await t.sql(`SELECT 1 FROM flags WHERE key = 'mv-bad'`)).rowCount) await multivariateFlag("mv-bad");
    const good = { flagKey: "mv-bad", variant: "on", variantName: "blue", outcome: "success", latencyMs: 1 };
    const batch = { ...body, events: [...((body as { events?: unknown[] }).events ?? []), good] };
    const res = await post(SDK_A, batch);
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.error.fields)).toContain(field);
    expect(await variantTotals("mv-bad")).toEqual({});
    expect(await onOffRequests("mv-bad")).toEqual({});
  });

  it("the SDK names the variant it served when the caller does not, and summarises per variant", async () => {
    await multivariateFlag("mv-sdk");
    const client = await RollgateClient.connect({ url: app.url, sdkKey: SDK_A, events: { flushIntervalMs: 60_000 } });
    try {
      await eventually(() => client.evaluate("mv-sdk", "x").variantName !== undefined, 5000, "the SDK serves the variants");
      const served: Record<string, number> = {};
      for (let i = 0; i < 300; i++) {
        const user = `sdk-${i}`;
        const details = client.evaluate("mv-sdk", user);
        served[details.variantName!] = (served[details.variantName!] ?? 0) + 1;
        client.track({ flagKey: "mv-sdk", variant: "on", outcome: "success", latencyMs: 3, targetingKey: user });
      }
      // A caller that knows better names the variant itself, and a stray name beside off is dropped.
      client.track({ flagKey: "mv-sdk", variant: "on", variantName: "green", reason: "SPLIT", outcome: "error", latencyMs: 3 });
      client.track({ flagKey: "mv-sdk", variant: "off", variantName: "green", reason: "SPLIT", outcome: "success", latencyMs: 3 });
      served.green = (served.green ?? 0) + 1;
      await client.flushEvents();
      expect(client.eventStats.dropped).toBe(0);
      const totals = await variantTotals("mv-sdk");
      expect(Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v.requests]))).toEqual(served);
      expect(totals.green!.errors).toBe(1);
      // The weights were served: every variant got some of the 300 subjects.
      expect(Object.keys(served).sort()).toEqual(["blue", "control", "green"]);
      expect(await onOffRequests("mv-sdk")).toEqual({ on: 301, off: 1 });
    } finally {
      await client.close();
    }
  });

  it("OpenFeature: client.track, withOutcomeTracking and the OutcomeHook report the variant the provider served", async () => {
    await multivariateFlag("mv-of");
    const provider = new RollgateProvider({ url: app.url, sdkKey: SDK_A, events: { flushIntervalMs: 60_000, summarize: false } });
    await OpenFeature.setProviderAndWait("variants", provider);
    const client = OpenFeature.getClient("variants");
    const hook = new OutcomeHook(provider);
    try {
      // Until the provider has the flag's targeting it answers with no variant (flag not found yet) or
      // "off" (created, not yet enabled): wait for a named variant, not merely for "not on".
      const NAMES = THREE_VARIANTS.variants.map((v) => v.name);
      await eventually(
        async () => NAMES.includes((await client.getBooleanDetails("mv-of", false, { targetingKey: "of-1" })).variant ?? ""),
        5000,
        "the provider serves the named variants",
      );
      const servedTo = async (user: string) => (await client.getBooleanDetails("mv-of", false, { targetingKey: user })).variant!;
      client.track("mv-of", { targetingKey: "of-1" }, { value: 4 });
      await withOutcomeTracking(client, "mv-of", { targetingKey: "of-2" }, async () => "done");
      const timer = hook.timer();
      await client.getBooleanValue("mv-of", false, { targetingKey: "of-3" }, { hooks: [hook], ...timer.options });
      expect(timer.variant).toBe("on");
      expect(timer.variantName).toBe(await servedTo("of-3"));
      timer.error("E_HOOK");
      await provider.rollgate!.flushEvents();
      const { rows } = await t.sql(
        `SELECT v.variant_name, v.requests::int, v.errors::int FROM metric_variant_rollups v JOIN flags f ON f.id = v.flag_id WHERE f.key = 'mv-of'`,
      );
      const byName = new Map<string, { requests: number; errors: number }>();
      for (const r of rows) {
        const b = byName.get(r.variant_name) ?? { requests: 0, errors: 0 };
        byName.set(r.variant_name, { requests: b.requests + r.requests, errors: b.errors + r.errors });
      }
      const expected = new Map<string, { requests: number; errors: number }>();
      for (const [user, errors] of [
        ["of-1", 0],
        ["of-2", 0],
        ["of-3", 1],
      ] as const) {
        const name = await servedTo(user);
        const b = expected.get(name) ?? { requests: 0, errors: 0 };
        expected.set(name, { requests: b.requests + 1, errors: b.errors + errors });
      }
      expect(Object.fromEntries(byName)).toEqual(Object.fromEntries(expected));
    } finally {
      await OpenFeature.close();
    }
  });

  it("a purge of one token's reports takes its per-variant rows back, and leaves the other token's", async () => {
    await multivariateFlag("mv-purge");
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000).toISOString();
    const summary = (variantName: string, requests: number) => ({
      flagKey: "mv-purge",
      variant: "on",
      variantName,
      minute,
      requests,
      errors: 0,
      latencySumMs: requests,
      latencyBuckets: [requests, ...new Array(LATENCY_SLOTS - 1).fill(0)],
    });
    expect((await post(SDK_A, { summaries: [summary("blue", 10), summary("control", 10)] })).status).toBe(202);
    expect((await post(SDK_B, { summaries: [summary("blue", 500)] })).status).toBe(202);
    const from = new Date(Date.parse(minute) - 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const res = await call(app.url, "POST", "/api/v1/metrics/purge", {
      token: ROLE_TOKENS.admin,
      body: { tokenId: tokenIds[SDK_B], from, to, flag: "mv-purge", reason: "forged blue" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const totals = await variantTotals("mv-purge");
    expect(Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v.requests]))).toEqual({ blue: 10, control: 10 });
    expect(await onOffRequests("mv-purge")).toEqual({ on: 20 });
  });
});

describe("GET /api/v1/flags/{key}/variants", () => {
  const variants = (query: string, token: string | null = eng) =>
    call(app.url, "GET", `/api/v1/flags/mv-api/variants${query}`, token ? { token } : {});

  beforeAll(async () => {
    await multivariateFlag("mv-api");
    // 30 minutes of traffic: control and blue at 1 % errors, green at 5 %.
    const now = Math.floor(Date.now() / 60_000) * 60_000;
    const summaries = [];
    for (let m = 31; m >= 2; m--) {
      const minute = new Date(now - m * 60_000).toISOString();
      for (const [name, errors] of [
        ["control", 4],
        ["blue", 4],
        ["green", 20],
      ] as const) {
        summaries.push({
          flagKey: "mv-api",
          variant: "on",
          variantName: name,
          minute,
          requests: 400,
          errors,
          latencySumMs: 400 * 20,
          latencyBuckets: [0, 0, 400, ...new Array(LATENCY_SLOTS - 3).fill(0)],
        });
      }
    }
    expect((await post(SDK_A, { summaries })).status).toBe(202);
  });

  it("judges each variant against control: the one that errs more is found, the other cleared", async () => {
    const res = await variants("?windowSeconds=7200&bucketSeconds=600");
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      flagKey: "mv-api",
      environment: "production",
      control: "control",
      compared: 2,
      configured: ["control", "blue", "green"],
    });
    const byName = Object.fromEntries(res.body.variants.map((v: { name: string }) => [v.name, v]));
    expect(byName.control).toMatchObject({ requests: 12_000, errors: 120, vsControl: null, p95Ms: 25 });
    expect(byName.green.vsControl.verdict).toBe("worse");
    expect(byName.green.vsControl.errorRateDelta).toBeCloseTo(0.04, 6);
    expect(byName.blue.vsControl.verdict).toBe("clear");
    // Ten-minute buckets per variant, adding up to the totals.
    const greenSeries = res.body.series.filter((p: { name: string }) => p.name === "green");
    expect(greenSeries.reduce((a: number, p: { requests: number }) => a + p.requests, 0)).toBe(12_000);
  });

  it("compares with the control asked for", async () => {
    const res = await variants("?windowSeconds=7200&control=green");
    expect(res.status).toBe(200);
    expect(res.body.control).toBe("green");
    expect(res.body.variants[0].name).toBe("green");
    // Against a worse control, nobody is worse.
    expect(res.body.variants.filter((v: { vsControl: { verdict: string } | null }) => v.vsControl?.verdict === "worse")).toEqual([]);
  });

  it("refuses what it cannot answer: 400 on the field, 401, 403 for an SDK token, 404", async () => {
    const purple = await variants("?control=purple");
    expect(purple.status).toBe(400);
    expect(purple.body.error.fields.control).toBe("is not one of control, blue, green");
    expect(Object.keys((await variants("?bucketSeconds=30")).body.error.fields)).toEqual(["bucketSeconds"]);
    expect((await variants("?colour=red")).status).toBe(400);
    expect((await variants("", null)).status).toBe(401);
    expect((await variants("", SDK_A)).status).toBe(403);
    expect((await call(app.url, "GET", "/api/v1/flags/no-such-flag/variants", { token: eng })).status).toBe(404);
    expect((await variants("?environment=nowhere")).status).toBe(404);
  });

  it("what Unleash SDKs report serving per variant is listed apart: no requests, no verdict, `disabled` left out; a bad name counts nothing", async () => {
    const key = "variants-from-unleash";
    await multivariateFlag(key);
    const report = (toggle: { yes: number; no: number; variants: Record<string, number> }) =>
      fetch(`${app.url}/api/client/metrics`, {
        method: "POST",
        headers: { authorization: SDK_B, "content-type": "application/json" },
        body: JSON.stringify({
          appName: "checkout",
          instanceId: "pod-1",
          bucket: { start: new Date(Date.now() - 60_000).toISOString(), stop: new Date().toISOString(), toggles: { [key]: toggle } },
        }),
      });
    expect((await report({ yes: 70, no: 30, variants: { control: 40, blue: 20, green: 10, disabled: 30 } })).status).toBe(202);
    // A second report adds up.
    expect((await report({ yes: 7, no: 3, variants: { control: 4, blue: 2, green: 1, disabled: 3 } })).status).toBe(202);
    for (const bad of ["", "x".repeat(101), "bad\u0000name"]) {
      const refused = await report({ yes: 1, no: 0, variants: { control: 1, [bad]: 1 } });
      expect(refused.status).toBe(400);
      const body = (await refused.json()) as { error: { fields: Record<string, string> } };
      expect(Object.keys(body.error.fields)).toEqual([`bucket.toggles.${key}.variants`]);
    }
    const res = await call(app.url, "GET", `/api/v1/flags/${key}/variants?environment=production`, { token: eng });
    expect(res.status).toBe(200);
    // Exactly the two good reports: the refused ones counted nothing, not even their control.
    expect(res.body.evaluations).toEqual({ blue: 22, control: 44, green: 11 });
    // No outcomes were reported, so nothing is compared or judged.
    expect(res.body.variants).toEqual([]);
    expect(res.body.compared).toBe(0);
    // The on/off rollups counted yes and no as before.
    const { rows } = await t.sql(
      `SELECT variant, sum(evaluations)::int AS n FROM metric_rollups m JOIN flags f ON f.id = m.flag_id WHERE f.key = $1 GROUP BY variant ORDER BY variant`,
      [key],
    );
    expect(rows).toEqual([
      { variant: "off", n: 33 },
      { variant: "on", n: 77 },
    ]);
  });
});
