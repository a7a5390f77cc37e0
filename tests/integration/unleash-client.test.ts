// Services keep their Unleash SDKs: the real unleash-client, pointed at Rollgate with a Rollgate SDK
// token, answers exactly as Rollgate's own evaluation for every user, and follows changes.
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { InMemStorageProvider, Unleash } from "unleash-client";
import { RollgateClient } from "../../lib/sdk";
import { BOOTSTRAP, call, patchFlagState, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { eventually } from "../support/eventually";

let unleash: Unleash;
let rollgate: RollgateClient;
const eng = ROLE_TOKENS.engineer;
const FLAGS: Record<string, { enabled: boolean; rolloutPercent: number; allowlist?: string[] }> = {
  "u-off": { enabled: false, rolloutPercent: 50 },
  "u-zero": { enabled: true, rolloutPercent: 0, allowlist: ["user-7", "user-4242"] },
  "u-ten": { enabled: true, rolloutPercent: 10 },
  "u-half": { enabled: true, rolloutPercent: 50, allowlist: ["user-1"] },
  "u-most": { enabled: true, rolloutPercent: 99 },
  "u-all": { enabled: true, rolloutPercent: 100 },
};

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });
beforeAll(async () => {
  for (const [key, state] of Object.entries(FLAGS)) {
    expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
    expect((await patchFlagState(app.url, eng, key, "production", state)).status).toBe(200);
  }
  rollgate = await RollgateClient.connect({ url: app.url, sdkKey: SDK_TOKEN });
  await eventually(() => rollgate.isEnabled("u-all", "x") === true, 5000, "the SDK has every flag");
  unleash = new Unleash({
    url: `${app.url}/api/`,
    appName: "checkout",
    customHeaders: { Authorization: SDK_TOKEN },
    refreshInterval: 300,
    metricsInterval: 500,
    storageProvider: new InMemStorageProvider(),
  });
  unleash.on("error", () => {}); // asserted below through what it fetched, not its logging
  await once(unleash, "synchronized");
}, 60_000);
afterAll(async () => {
  unleash?.destroy();
  await rollgate?.close();
});

describe("Unleash client API", () => {
  it("unleash-client agrees with Rollgate for 10,000 users on every flag, and off without a user", () => {
    let disagreements = 0;
    let on = 0;
    for (const key of Object.keys(FLAGS)) {
      for (let i = 0; i < 10_000; i++) {
        const user = `user-${i}`;
        const mine = rollgate.isEnabled(key, user);
        if (unleash.isEnabled(key, { userId: user }) !== mine) disagreements++;
        if (mine) on++;
      }
      expect(unleash.isEnabled(key, {})).toBe(rollgate.isEnabled(key, undefined));
    }
    expect(disagreements).toBe(0);
    // The cases are not trivial: roughly 10 + 50 + 99 + 100 % of users, plus the allowlists.
    expect(on).toBeGreaterThan(25_000);
    expect(on).toBeLessThan(27_000);
    expect(unleash.isEnabled("u-zero", { userId: "user-7" })).toBe(true);
  });

  it("a change made in Rollgate reaches unleash-client within its refresh interval; a kill turns it off", async () => {
    expect((await patchFlagState(app.url, eng, "u-ten", "production", { rolloutPercent: 100 })).status).toBe(200);
    await eventually(() => unleash.isEnabled("u-ten", { userId: "someone" }) === true, 5000, "the widening arrives");
    const killed = await call(app.url, "POST", "/api/v1/flags/u-ten/environments/production/kill", {
      token: ROLE_TOKENS.oncall,
      body: { reason: "unleash client test" },
    });
    expect(killed.status).toBe(200);
    await eventually(() => unleash.isEnabled("u-ten", { userId: "someone" }) === false, 5000, "the kill arrives");
  });

  it("answers 304 to an unchanged ETag, takes registration and metrics, and refuses a bad token", async () => {
    const first = await fetch(`${app.url}/api/client/features`, { headers: { authorization: SDK_TOKEN } });
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag")!;
    const body = (await first.json()) as { version: number; features: { name: string }[] };
    expect(body.version).toBe(2);
    expect(body.features.map((f) => f.name).sort()).toEqual(Object.keys(FLAGS).sort());
    const again = await fetch(`${app.url}/api/client/features`, { headers: { authorization: SDK_TOKEN, "if-none-match": etag } });
    expect(again.status).toBe(304);
    const register = await fetch(`${app.url}/api/client/register`, {
      method: "POST",
      headers: { authorization: SDK_TOKEN, "content-type": "application/json" },
      body: JSON.stringify({
        appName: "checkout",
        instanceId: "i-1",
        strategies: ["default"],
        started: new Date().toISOString(),
        interval: 500,
      }),
    });
    expect(register.status).toBe(202);
    const notJson = await fetch(`${app.url}/api/client/metrics`, { method: "POST", headers: { authorization: SDK_TOKEN }, body: "[1,2" });
    expect(notJson.status).toBe(400);
    expect((await fetch(`${app.url}/api/client/features`, { headers: { authorization: "nope" } })).status).toBe(401);
    expect((await fetch(`${app.url}/api/client/features`, { headers: { authorization: eng } })).status).toBe(403);
  });
});

interface Point {
  t: string;
  variant: "on" | "off";
  requests: number;
  errors: number;
  successRate: number | null;
  meanMs: number | null;
  evaluations: number;
  adoption: number | null;
}

async function metricsOf(key: string): Promise<Point[]> {
  const res = await call(app.url, "GET", `/api/v1/flags/${key}/metrics?environment=production&windowSeconds=3600&bucketSeconds=60`, {
    token: ROLE_TOKENS.viewer,
  });
  expect(res.status).toBe(200);
  return res.body.series as Point[];
}

const sum = (points: Point[], variant: "on" | "off", field: "requests" | "errors" | "evaluations") =>
  points.filter((p) => p.variant === variant).reduce((a, p) => a + p[field], 0);

const postMetrics = (body: unknown) =>
  fetch(`${app.url}/api/client/metrics`, {
    method: "POST",
    headers: { authorization: SDK_TOKEN, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

let instances = 0;
/** A report from an instance of its own (`instanceId`), so two are never the same report sent again. */
const bucket = (toggles: Record<string, unknown>, instanceId = `i-${++instances}`) => ({
  appName: "checkout",
  instanceId,
  bucket: { start: new Date(Date.now() - 60_000).toISOString(), stop: new Date().toISOString(), toggles },
});

const storedEvaluations = async () =>
  (await t.sql(`SELECT coalesce(sum(evaluations), 0)::int AS n FROM metric_rollups WHERE reason = 'CLIENT_METRICS'`)).rows[0].n as number;

describe("Unleash client metrics", () => {
  it("unleash-client's yes/no counts arrive as the flag's evaluations and adoption, and leave success rate and latency alone", async () => {
    expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key: "u-counted" } })).status).toBe(201);
    expect((await patchFlagState(app.url, eng, "u-counted", "production", { enabled: true, rolloutPercent: 30 })).status).toBe(200);
    // Waits on the definition, which unleash-client does not count (isEnabled would be counted).
    await eventually(
      () => unleash.getFeatureToggleDefinition("u-counted")?.strategies?.[0]?.parameters?.rollout === "30",
      5000,
      "unleash-client has the flag",
    );
    const expected = { on: 0, off: 0 };
    for (let i = 0; i < 2000; i++) expected[unleash.isEnabled("u-counted", { userId: `user-${i}` }) ? "on" : "off"]++;
    expect(expected.on).toBeGreaterThan(400);
    expect(expected.off).toBeGreaterThan(1200);
    await eventually(
      async () => {
        const points = await metricsOf("u-counted");
        return sum(points, "on", "evaluations") + sum(points, "off", "evaluations") === 2000;
      },
      10_000,
      "unleash-client's metrics are counted",
    );

    // Outcome events for the same flag from Rollgate's own SDK: 10 on (4 errors, 30 ms each), 5 off.
    const events = [
      ...Array.from({ length: 10 }, (_, i) => ({
        flagKey: "u-counted",
        variant: "on",
        outcome: i < 4 ? "error" : "success",
        latencyMs: 30,
      })),
      ...Array.from({ length: 5 }, () => ({ flagKey: "u-counted", variant: "off", outcome: "success", latencyMs: 30 })),
    ];
    expect((await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { events } })).status).toBe(202);
    await eventually(async () => sum(await metricsOf("u-counted"), "on", "requests") === 10, 5000, "the events are counted");

    const points = await metricsOf("u-counted");
    expect(sum(points, "on", "evaluations")).toBe(expected.on);
    expect(sum(points, "off", "evaluations")).toBe(expected.off);
    expect(sum(points, "on", "requests")).toBe(10);
    expect(sum(points, "off", "requests")).toBe(5);
    expect(sum(points, "on", "errors")).toBe(4);
    // Success rate and mean latency are the events' alone, in every bucket that has events.
    for (const p of points) {
      if (p.requests === 0) {
        expect(p.successRate).toBeNull();
        expect(p.meanMs).toBeNull();
      } else {
        expect(p.meanMs).toBe(30);
      }
    }
    const withEvents = points.filter((p) => p.variant === "on" && p.requests > 0);
    expect(withEvents.reduce((a, p) => a + p.requests * p.successRate!, 0) / 10).toBeCloseTo(0.6, 10);
    // Adoption: everything served on (events and counted evaluations) over everything served, per bucket.
    for (const p of points) {
      const same = points.filter((q) => q.t === p.t);
      const total = same.reduce((a, q) => a + q.requests + q.evaluations, 0);
      const on = same.filter((q) => q.variant === "on").reduce((a, q) => a + q.requests + q.evaluations, 0);
      expect(p.adoption).toBeCloseTo(on / total, 12);
    }
  });

  it("counts reports exactly under concurrency, ignores unknown toggles, and refuses bad reports whole", async () => {
    expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key: "u-posted" } })).status).toBe(201);
    const before = await storedEvaluations();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        postMetrics(bucket({ "u-posted": { yes: 3, no: 1, variants: {} }, "Not.In.Rollgate": { yes: 5, no: 5 } })),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(202));
    const points = await metricsOf("u-posted");
    expect(sum(points, "on", "evaluations")).toBe(60);
    expect(sum(points, "off", "evaluations")).toBe(20);
    expect(sum(points, "on", "requests") + sum(points, "off", "requests")).toBe(0);
    expect(await storedEvaluations()).toBe(before + 80);

    const refused: [unknown, string, RegExp][] = [
      [bucket({ "u-posted": { yes: -1, no: 2 } }), "bucket.toggles.u-posted.yes", />= 0/],
      [bucket({ "u-posted": { yes: 1.5, no: 2 } }), "bucket.toggles.u-posted.yes", /whole number/],
      [bucket({ "u-posted": { yes: "3", no: 2 } }), "bucket.toggles.u-posted.yes", /number/],
      [bucket({ "u-posted": { yes: 1 } }), "bucket.toggles.u-posted.no", /number/],
      [bucket({ "u-posted": { yes: 1, no: 1 }, other: { yes: 1, no: -3 } }), "bucket.toggles.other.no", />= 0/],
      [{ appName: "checkout" }, "bucket", /start, stop and toggles/],
      [{ bucket: { start: "yesterday", stop: new Date().toISOString(), toggles: {} } }, "bucket.start", /ISO 8601/],
      [{ bucket: { start: new Date().toISOString(), stop: new Date().toISOString(), toggles: [] } }, "bucket.toggles", /toggle counts/],
      [
        { bucket: { start: "2020-01-01T00:00:00Z", stop: "2020-01-01T00:01:00Z", toggles: { "u-posted": { yes: 1, no: 1 } } } },
        "bucket.stop",
        /window/,
      ],
    ];
    for (const [body, field, message] of refused) {
      const res = await postMetrics(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = ((await res.json()) as { error: { fields: Record<string, string> } }).error;
      expect(error.fields[field], JSON.stringify(error)).toMatch(message);
    }
    expect(await storedEvaluations()).toBe(before + 80);
  });

  it("a report sent again (same instance, interval and counts) counts once, however many copies arrive at once", async () => {
    expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key: "u-retried" } })).status).toBe(201);
    const before = await storedEvaluations();
    const report = bucket({ "u-retried": { yes: 7, no: 2, variants: { blue: 4 } } }, "i-retrying");
    // Its first answer lost: the SDK sends it again, here five copies at once and one after.
    const answers = await Promise.all(Array.from({ length: 5 }, () => postMetrics(report)));
    expect(answers.map((r) => r.status)).toEqual(Array(5).fill(202));
    expect((await postMetrics(report)).status).toBe(202);
    expect(await storedEvaluations()).toBe(before + 9);
    const variants = await t.sql(
      `SELECT coalesce(sum(v.evaluations), 0)::int AS n FROM metric_variant_rollups v JOIN flags f ON f.id = v.flag_id WHERE f.key = 'u-retried'`,
    );
    expect(variants.rows[0].n).toBe(4);

    // The same interval and counts from another instance, a later interval from the same one, and a
    // report without an instanceId (nothing tells its copies apart) each count.
    const later = {
      ...report,
      bucket: { ...report.bucket, start: report.bucket.stop, stop: new Date(Date.parse(report.bucket.stop) + 1).toISOString() },
    };
    const anonymous = { bucket: report.bucket };
    for (const body of [{ ...report, instanceId: "i-other" }, later, anonymous, anonymous])
      expect((await postMetrics(body)).status).toBe(202);
    expect(await storedEvaluations()).toBe(before + 5 * 9);
  });
});
