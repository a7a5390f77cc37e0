// Services keep their Unleash SDKs: the real unleash-client, pointed at Rollgate with a Rollgate SDK
// token, answers exactly as Rollgate's own evaluation for every user, and follows changes.
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InMemStorageProvider, Unleash } from "unleash-client";
import { RollgateClient } from "../../lib/sdk";
import { createTestDatabase, type TestDatabase } from "../support/test-database";
import { startTestApp, type TestApp } from "../support/test-app";
import { BOOTSTRAP, call, patchFlagState, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { eventually } from "../support/eventually";

let t: TestDatabase;
let app: TestApp;
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

beforeAll(async () => {
  t = await createTestDatabase();
  app = await startTestApp({ databaseUrl: t.url, bootstrapTokens: BOOTSTRAP });
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
  await app?.stop();
  await t?.drop();
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
