import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenFeature, ProviderEvents } from "@openfeature/server-sdk";
import { RollgateClient, RollgateRefusedError } from "../../lib/sdk";
import { OutcomeHook, RollgateProvider, withOutcomeTracking } from "../../lib/sdk/openfeature-provider";
import { bucketOf } from "../../lib/domain/bucketing";
import { latencySlot } from "../../lib/domain/latency-buckets";
import { setUpTestDatabase } from "../support/fixture";
import { startTestApp, type TestApp } from "../support/test-app";
import { freePort } from "../support/free-port";
import { call, patchFlagState } from "../support/http";
import { eventually } from "../support/eventually";

const ENG = "sdk-test-engineer";
const SDK = "sdk-test-production";
const BOOT = `eng:engineer:${ENG},sdk:production:${SDK}`;
// The server is this file's own: tests stop it and start it again on the same port.
const t = setUpTestDatabase();
let app: TestApp;
let port: number;
let url: string;

const start = () => startTestApp({ databaseUrl: t.url, bootstrapTokens: BOOT, env: { PORT: String(port) } });

async function patch(key: string, body: Record<string, unknown>) {
  expect((await patchFlagState(url, ENG, key, "production", body)).status).toBe(200);
}

beforeAll(async () => {
  port = await freePort();
  app = await start();
  url = app.url;
  expect((await call(url, "POST", "/api/v1/flags", { token: ENG, body: { key: "sdk-flag" } })).status).toBe(201);
  // These tests read the raw events back, which a flag keeps only when asked to.
  expect((await call(url, "PATCH", "/api/v1/flags/sdk-flag", { token: ENG, body: { rawEventSamplePercent: 100 } })).status).toBe(200);
  await patch("sdk-flag", { enabled: true, rolloutPercent: 100 });
  // The data plane applies the change when its NOTIFY arrives; tests start from there.
  await eventually(
    async () =>
      (await call(url, "POST", "/ofrep/v1/evaluate/flags/sdk-flag", { token: SDK, body: { context: { targetingKey: "u1" } } })).body
        .value === true,
    5000,
    "the flag reaches the data plane",
  );
});
afterAll(() => app?.stop());

describe("TypeScript SDK", () => {
  it("evaluates locally and follows changes through the stream", async () => {
    const client = await RollgateClient.connect({ url, sdkKey: SDK });
    try {
      expect(client.environment).toBe("production");
      expect(client.evaluate("sdk-flag", "u1")).toMatchObject({ value: true, reason: "STATIC", variant: "on" });
      expect(client.evaluate("nope", "u1")).toMatchObject({ value: false, reason: "ERROR", errorCode: "FLAG_NOT_FOUND" });
      const before = client.version!;
      await patch("sdk-flag", { enabled: false });
      await eventually(() => client.isEnabled("sdk-flag", "u1", true) === false, 5000);
      expect(client.version).toBeGreaterThan(before);
      expect(client.evaluate("sdk-flag", "u1")).toMatchObject({ value: false, reason: "DISABLED" });
    } finally {
      await client.close();
    }
  });

  it("fails at once on a refused key, saying why, instead of waiting out its timeout", async () => {
    const started = Date.now();
    const wrong = RollgateClient.connect({ url, sdkKey: "wrong", initialTimeoutMs: 60_000 });
    await expect(wrong).rejects.toThrow("Rollgate refused the SDK key (HTTP 401): unknown or revoked SDK token");
    await expect(wrong).rejects.toBeInstanceOf(RollgateRefusedError);
    const userToken = RollgateClient.connect({ url, sdkKey: ENG, initialTimeoutMs: 60_000 });
    await expect(userToken).rejects.toThrow(/HTTP 403\): this is a user token/);
    // Well before either timeout: it did not wait.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("reports events in batches into raw events and per-minute rollups", async () => {
    const client = await RollgateClient.connect({ url, sdkKey: SDK, events: { flushIntervalMs: 60_000, summarize: false } });
    try {
      for (let i = 0; i < 30; i++) {
        client.track({
          flagKey: "sdk-flag",
          variant: i % 2 ? "on" : "off",
          outcome: i % 10 === 0 ? "error" : "success",
          latencyMs: i * 10,
          errorCode: i % 10 === 0 ? "E_TIMEOUT" : undefined,
          targetingKey: `u${i}`,
        });
      }
      client.track({ flagKey: "deleted-meanwhile", variant: "on", outcome: "success", latencyMs: 1 });
      await client.flushEvents();
      expect(client.eventStats).toEqual({ pending: 0, sent: 31, dropped: 0 });
    } finally {
      await client.close();
    }
    const raw = await t.sql("SELECT count(*)::int AS n FROM events e JOIN flags f ON f.id = e.flag_id WHERE f.key = 'sdk-flag'");
    expect(raw.rows[0].n).toBe(30);
    const rollups = await t.sql(
      "SELECT variant, sum(requests)::int AS requests, sum(errors)::int AS errors, jsonb_agg(errors_by_code) AS codes, array_agg(latency_buckets) AS buckets FROM metric_rollups GROUP BY variant ORDER BY variant",
    );
    const byVariant = Object.fromEntries(rollups.rows.map((r) => [r.variant, r]));
    expect(byVariant.off.requests).toBe(15);
    expect(byVariant.off.errors).toBe(3); // i = 0, 10, 20 are even → off
    expect(byVariant.on.requests).toBe(15);
    expect(byVariant.on.errors).toBe(0);
    const totalBucketed = rollups.rows.flatMap((r) => r.buckets.flat()).reduce((a: number, b: string) => a + Number(b), 0);
    expect(totalBucketed).toBe(30);
  });

  it("keeps serving its last snapshot while the server is down, and catches up after restart", async () => {
    const client = await RollgateClient.connect({ url, sdkKey: SDK, maxReconnectDelayMs: 300 });
    try {
      await patch("sdk-flag", { enabled: true, rolloutPercent: 100 });
      await eventually(() => client.isEnabled("sdk-flag", "u1") === true);
      await app.stop();
      await eventually(() => !client.connected);
      for (let i = 0; i < 5; i++) {
        expect(client.evaluate("sdk-flag", "u1")).toMatchObject({ value: true, reason: "STATIC" });
        await new Promise((r) => setTimeout(r, 100));
      }
      // A change made while this instance is down (e.g. through another instance).
      await t.sql(
        "UPDATE flag_states s SET enabled = false, version = version + 1 FROM flags f WHERE f.id = s.flag_id AND f.key = 'sdk-flag' AND s.environment_key = 'production'",
      );
      expect(client.isEnabled("sdk-flag", "u1")).toBe(true);
      app = await start();
      await eventually(() => client.isEnabled("sdk-flag", "u1", true) === false, 5000);
      expect(client.connected).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe("RollgateProvider (OpenFeature, in-process evaluation)", () => {
  it("resolves through the OpenFeature API and announces configuration changes", async () => {
    await patch("sdk-flag", { enabled: true, rolloutPercent: 100, allowlist: [] });
    await OpenFeature.setProviderAndWait("local", new RollgateProvider({ url, sdkKey: SDK }));
    const client = OpenFeature.getClient("local");
    try {
      await eventually(async () => (await client.getBooleanValue("sdk-flag", false, { targetingKey: "u1" })) === true);
      expect(await client.getBooleanDetails("sdk-flag", false, { targetingKey: "u1" })).toMatchObject({
        value: true,
        variant: "on",
        reason: "STATIC",
      });
      expect(await client.getBooleanDetails("missing", true, { targetingKey: "u1" })).toMatchObject({
        value: true,
        errorCode: "FLAG_NOT_FOUND",
      });
      // One rule with OFREP: a targeting key that is not a string is an invalid context.
      expect(await client.getBooleanDetails("sdk-flag", false, { targetingKey: 42 as unknown as string })).toMatchObject({
        value: false,
        errorCode: "INVALID_CONTEXT",
      });
      const ofrep = await call(url, "POST", "/ofrep/v1/evaluate/flags/sdk-flag", { token: SDK, body: { context: { targetingKey: 42 } } });
      expect(ofrep.status).toBe(400);
      expect(ofrep.body.errorCode).toBe("INVALID_CONTEXT");
      expect(await client.getStringDetails("sdk-flag", "x", { targetingKey: "u1" })).toMatchObject({
        value: "x",
        errorCode: "TYPE_MISMATCH",
      });

      let changes = 0;
      client.addHandler(ProviderEvents.ConfigurationChanged, () => changes++);
      await patch("sdk-flag", { enabled: false });
      await eventually(async () => (await client.getBooleanValue("sdk-flag", true, { targetingKey: "u1" })) === false);
      expect(changes).toBeGreaterThanOrEqual(1);
    } finally {
      await OpenFeature.close();
    }
  });
});

describe("OpenFeature tracking", () => {
  it("client.track and withOutcomeTracking report outcomes with variant, reason and latency", async () => {
    await patch("sdk-flag", { enabled: true, rolloutPercent: 100, allowlist: [] });
    const provider = new RollgateProvider({ url, sdkKey: SDK, events: { flushIntervalMs: 60_000, summarize: false } });
    await OpenFeature.setProviderAndWait("tracking", provider);
    const client = OpenFeature.getClient("tracking");
    try {
      await eventually(async () => (await client.getBooleanValue("sdk-flag", false, { targetingKey: "t-1" })) === true);
      client.track("sdk-flag", { targetingKey: "t-1" }, { value: 42, outcome: "error", errorCode: "E_TRACKED" });
      client.track("no-such-flag", { targetingKey: "t-1" }, { value: 1 }); // not a flag: ignored
      const result = await withOutcomeTracking(client, "sdk-flag", { targetingKey: "t-2" }, async (enabled) => {
        await new Promise((r) => setTimeout(r, 30));
        return enabled ? "new path" : "old path";
      });
      expect(result).toBe("new path");
      const failure = Object.assign(new Error("boom"), { code: "E_BOOM" });
      await expect(
        withOutcomeTracking(client, "sdk-flag", { targetingKey: "t-3" }, () => {
          throw failure;
        }),
      ).rejects.toBe(failure);
      await provider.rollgate!.flushEvents();
      const { rows } = await t.sql(
        `SELECT e.targeting_key, e.variant, e.reason, e.outcome, e.error_code, e.latency_ms FROM events e JOIN flags f ON f.id = e.flag_id
          WHERE f.key = 'sdk-flag' AND e.targeting_key IN ('t-1', 't-2', 't-3') ORDER BY e.targeting_key`,
      );
      expect(rows.map((r) => ({ ...r, latency_ms: undefined }))).toEqual([
        { targeting_key: "t-1", variant: "on", reason: "STATIC", outcome: "error", error_code: "E_TRACKED", latency_ms: undefined },
        { targeting_key: "t-2", variant: "on", reason: "STATIC", outcome: "success", error_code: null, latency_ms: undefined },
        { targeting_key: "t-3", variant: "on", reason: "STATIC", outcome: "error", error_code: "E_BOOM", latency_ms: undefined },
      ]);
      expect(rows[0].latency_ms).toBe(42);
      expect(rows[1].latency_ms).toBeGreaterThanOrEqual(25);
    } finally {
      await OpenFeature.close();
    }
  });
});

describe("OpenFeature tracking of a flag that reads more than the key", () => {
  it("attributes the event to the arm the whole context was served (a Staff phase reads the email)", async () => {
    expect((await call(url, "POST", "/api/v1/flags", { token: ENG, body: { key: "staff-flag" } })).status).toBe(201);
    expect((await call(url, "PATCH", "/api/v1/flags/staff-flag", { token: ENG, body: { rawEventSamplePercent: 100 } })).status).toBe(200);
    const segment = await call(url, "POST", "/api/v1/segments", {
      token: ENG,
      body: { name: "Tracking staff", constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] }] },
    });
    expect(segment.status).toBe(201);
    await patch("staff-flag", {
      enabled: true,
      rolloutPercent: 0,
      targeting: { strategies: [{ rollout: 100, segments: [segment.body.id] }] },
    });
    const provider = new RollgateProvider({ url, sdkKey: SDK, events: { flushIntervalMs: 60_000, summarize: false } });
    await OpenFeature.setProviderAndWait("tracking-context", provider);
    const client = OpenFeature.getClient("tracking-context");
    try {
      const staff = { targetingKey: "s-1", email: "ana@acme.com" };
      await eventually(async () => (await client.getBooleanValue("staff-flag", false, staff)) === true);
      client.track("staff-flag", staff, { value: 5 });
      client.track("staff-flag", { targetingKey: "s-2", email: "bo@example.com" }, { value: 5 });
      await provider.rollgate!.flushEvents();
      const { rows } = await t.sql(
        `SELECT e.targeting_key, e.variant, e.reason FROM events e JOIN flags f ON f.id = e.flag_id
          WHERE f.key = 'staff-flag' ORDER BY e.targeting_key`,
      );
      expect(rows).toEqual([
        { targeting_key: "s-1", variant: "on", reason: "TARGETING_MATCH" },
        { targeting_key: "s-2", variant: "off", reason: "UNKNOWN" },
      ]);
    } finally {
      await OpenFeature.close();
    }
  });
});

describe("OutcomeHook (OpenFeature hook)", () => {
  it("times the code path after an evaluation and reports success or error with the served variant into the rollups", async () => {
    expect((await call(url, "POST", "/api/v1/flags", { token: ENG, body: { key: "hook-flag" } })).status).toBe(201);
    // Raw events are kept only when asked for; the test reads them back besides the rollups.
    expect((await call(url, "PATCH", "/api/v1/flags/hook-flag", { token: ENG, body: { rawEventSamplePercent: 100 } })).status).toBe(200);
    await patch("hook-flag", { enabled: true, rolloutPercent: 50, allowlist: ["h-vip"] });
    const provider = new RollgateProvider({ url, sdkKey: SDK, events: { flushIntervalMs: 60_000, summarize: false } });
    await OpenFeature.setProviderAndWait("hooked", provider);
    const client = OpenFeature.getClient("hooked");
    const outcomes = new OutcomeHook(provider);
    client.addHooks(outcomes);
    try {
      await eventually(() => provider.rollgate!.evaluate("hook-flag", "h-vip").reason === "TARGETING_MATCH", 5000, "the flag arrives");
      const offUser = Array.from({ length: 100 }, (_, i) => `h-${i}`).find(
        (u) => provider.rollgate!.evaluate("hook-flag", u).variant === "off",
      )!;
      // h-0 … h-2 fall in buckets 35, 25, 29 of "hook-flag"; h-3 in 82, the first outside the 50 %.
      expect(offUser).toBe("h-3");
      expect(bucketOf("hook-flag", offUser)).toBeGreaterThan(50);

      // Success on the allowlisted user's `on` path, timed across 120 ms of work after the evaluation.
      const ok = outcomes.timer();
      expect(await client.getBooleanValue("hook-flag", false, { targetingKey: "h-vip" }, ok.options)).toBe(true);
      expect(ok.variant).toBe("on");
      await new Promise((r) => setTimeout(r, 120));
      expect(ok.success()).toBe(true);
      expect(ok.success()).toBe(false); // once only

      // An error on the `off` path, with the error's code; the user's own hints ride along.
      const failed = outcomes.timer();
      const enabled = await client.getBooleanValue(
        "hook-flag",
        false,
        { targetingKey: offUser },
        { hookHints: { mine: 1, ...failed.hints } },
      );
      expect(enabled).toBe(false);
      expect(failed.error(Object.assign(new Error("boom"), { code: "E_HOOK" }))).toBe(true);

      // An evaluation that failed (a split without a targeting key) served the default: that path is timed too.
      const fallback = outcomes.timer();
      expect(await client.getBooleanValue("hook-flag", false, {}, fallback.options)).toBe(false);
      expect(fallback.variant).toBe("off");
      expect(fallback.success()).toBe(true);

      // Neither an evaluation without a timer, nor a timer that no evaluation carried, reports anything.
      await client.getBooleanValue("hook-flag", false, { targetingKey: "h-untimed" });
      expect(outcomes.timer().success()).toBe(false);

      await provider.rollgate!.flushEvents();
      const { rows } = await t.sql(
        `SELECT e.targeting_key, e.variant, e.reason, e.outcome, e.error_code, e.latency_ms FROM events e JOIN flags f ON f.id = e.flag_id
          WHERE f.key = 'hook-flag' ORDER BY e.outcome DESC, e.targeting_key NULLS LAST`,
      );
      expect(rows.map((r) => ({ ...r, latency_ms: undefined }))).toEqual([
        { targeting_key: "h-vip", variant: "on", reason: "TARGETING_MATCH", outcome: "success", error_code: null, latency_ms: undefined },
        { targeting_key: null, variant: "off", reason: "UNKNOWN", outcome: "success", error_code: null, latency_ms: undefined },
        { targeting_key: offUser, variant: "off", reason: "SPLIT", outcome: "error", error_code: "E_HOOK", latency_ms: undefined },
      ]);
      // The timer spans the work after the evaluation (timers never fire early by a whole 20 ms).
      expect(rows[0].latency_ms).toBeGreaterThanOrEqual(100);

      // The same events in the per-minute rollups the charts and gates read: variant, outcome, latency slot.
      const rollups = await t.sql(
        `SELECT m.variant, sum(m.requests)::int AS requests, sum(m.errors)::int AS errors, sum(m.latency_sum_ms) AS latency_sum_ms,
                (SELECT array_agg(s ORDER BY i) FROM (SELECT u.i, sum(u.b)::int AS s FROM metric_rollups m2, unnest(m2.latency_buckets) WITH ORDINALITY u(b, i)
                  WHERE m2.flag_id = f.id AND m2.variant = m.variant GROUP BY u.i) x) AS slots
           FROM metric_rollups m JOIN flags f ON f.id = m.flag_id WHERE f.key = 'hook-flag' GROUP BY m.variant, f.id ORDER BY m.variant`,
      );
      const slotsWith = (...latencies: number[]) =>
        Array.from({ length: 20 }, (_, i) => latencies.filter((l) => latencySlot(l) === i).length);
      const [on, off1, off2] = rows.map((r) => r.latency_ms as number) as [number, number, number];
      expect(rollups.rows).toEqual([
        { variant: "off", requests: 2, errors: 1, latency_sum_ms: off1 + off2, slots: slotsWith(off1, off2) },
        { variant: "on", requests: 1, errors: 0, latency_sum_ms: on, slots: slotsWith(on) },
      ]);
    } finally {
      await OpenFeature.close();
    }
  });
});

describe("POST /api/v1/events validation", () => {
  const post = (body: unknown, token = SDK) =>
    fetch(`${url}/api/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const count = async () => (await t.sql("SELECT count(*)::int AS n FROM events")).rows[0].n as number;

  it.each([
    [
      "bad variant at index 2",
      {
        events: [
          { flagKey: "sdk-flag", variant: "on", outcome: "success", latencyMs: 1 },
          { flagKey: "sdk-flag", variant: "on", outcome: "success", latencyMs: 1 },
          { flagKey: "sdk-flag", variant: "maybe", outcome: "success", latencyMs: 1 },
        ],
      },
      2,
      "events.2.variant",
    ],
    ["negative latency", { events: [{ flagKey: "sdk-flag", variant: "on", outcome: "success", latencyMs: -1 }] }, 0, "events.0.latencyMs"],
    [
      "future timestamp",
      { events: [{ flagKey: "sdk-flag", variant: "on", outcome: "success", latencyMs: 1, timestamp: "2999-01-01T00:00:00Z" }] },
      0,
      "events.0.timestamp",
    ],
  ])("%s → 400 with the index, nothing stored", async (_n, body, index, field) => {
    const before = await count();
    const res = await post(body);
    expect(res.status).toBe(400);
    const json = await res.json();
    expect(json.index).toBe(index);
    expect(json.error.fields[field]).toEqual(expect.any(String));
    expect(await count()).toBe(before);
  });

  it("more than 5,000 events → 400; no token → 401", async () => {
    const many = Array.from({ length: 5001 }, () => ({ flagKey: "sdk-flag", variant: "on", outcome: "success", latencyMs: 1 }));
    expect((await post({ events: many })).status).toBe(400);
    expect((await post({ events: [] }, "bogus")).status).toBe(401);
  });
});
