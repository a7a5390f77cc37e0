// One table of cases, one running server, every client a team might already run: the published
// OpenFeature OFREP providers (server and web), unleash-client, and Rollgate's own provider, including
// flags imported from Unleash with capitals in their names and a bucketing group of their own.
import { once } from "node:events";
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OFREPWebProvider } from "@openfeature/ofrep-web-provider";
import { OpenFeature as ServerOpenFeature } from "@openfeature/server-sdk";
import { OpenFeature as WebOpenFeature } from "@openfeature/web-sdk";
import { InMemStorageProvider, Unleash } from "unleash-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { bucketOf } from "../../lib/domain/bucketing";
import { RollgateProvider } from "../../lib/sdk/openfeature-provider";
import { BOOTSTRAP, call, patchFlagState, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { eventually } from "../support/eventually";

let unleash: Unleash;

/** What every client must answer: Rollgate's rule, written out. */
const FLAGS: Record<string, { on: boolean; percent: number; group: string; allow: string[] }> = {
  "Checkout.NewFlow": { on: true, percent: 30, group: "checkout", allow: ["qa-1"] },
  "Search.Beta": { on: true, percent: 100, group: "Search.Beta", allow: [] },
  "Legacy.Off": { on: false, percent: 100, group: "Legacy.Off", allow: [] },
  "native-half": { on: true, percent: 50, group: "native-half", allow: [] },
  "native-killed": { on: false, percent: 100, group: "native-killed", allow: [] },
};
const USERS = ["qa-1", ...Array.from({ length: 11 }, (_, i) => `user-${i * 37}`)];
const expected = (flag: string, user: string) => {
  const f = FLAGS[flag]!;
  return f.on && (f.allow.includes(user) || f.percent >= 100 || bucketOf(f.group, user) <= f.percent);
};

const { app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });
beforeAll(async () => {
  const imported = await call(app.url, "POST", "/api/v1/import/unleash", {
    token: ROLE_TOKENS.admin,
    body: {
      dryRun: false,
      export: {
        features: [{ name: "Checkout.NewFlow" }, { name: "Search.Beta" }, { name: "Legacy.Off" }],
        featureEnvironments: [
          { featureName: "Checkout.NewFlow", environment: "production", enabled: true },
          { featureName: "Search.Beta", environment: "production", enabled: true },
          { featureName: "Legacy.Off", environment: "production", enabled: false },
        ],
        featureStrategies: [
          {
            featureName: "Checkout.NewFlow",
            environment: "production",
            name: "flexibleRollout",
            parameters: { rollout: "30", stickiness: "userId", groupId: "checkout" },
          },
          { featureName: "Checkout.NewFlow", environment: "production", name: "userWithId", parameters: { userIds: "qa-1" } },
          { featureName: "Search.Beta", environment: "production", name: "default", parameters: {} },
          { featureName: "Legacy.Off", environment: "production", name: "default", parameters: {} },
        ],
      },
    },
  });
  expect(imported.status).toBe(200);
  expect(imported.body.summary).toMatchObject({ create: 3, skip: 0 });
  for (const key of ["native-half", "native-killed"]) {
    expect((await call(app.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key } })).status).toBe(201);
  }
  expect(
    (await patchFlagState(app.url, ROLE_TOKENS.engineer, "native-half", "production", { enabled: true, rolloutPercent: 50 })).status,
  ).toBe(200);
  expect(
    (await patchFlagState(app.url, ROLE_TOKENS.engineer, "native-killed", "production", { enabled: true, rolloutPercent: 100 })).status,
  ).toBe(200);
  expect(
    (
      await call(app.url, "POST", "/api/v1/flags/native-killed/environments/production/kill", {
        token: ROLE_TOKENS.oncall,
        body: { reason: "interop" },
      })
    ).status,
  ).toBe(200);
  await eventually(
    async () =>
      (
        await call(app.url, "POST", "/ofrep/v1/evaluate/flags/native-killed", {
          token: SDK_TOKEN,
          body: { context: { targetingKey: "x" } },
        })
      ).body.reason === "DISABLED",
    5000,
    "the data plane has every change",
  );
  unleash = new Unleash({
    url: `${app.url}/api/`,
    appName: "interop",
    customHeaders: { Authorization: SDK_TOKEN },
    refreshInterval: 1000,
    disableMetrics: true,
    storageProvider: new InMemStorageProvider(),
  });
  unleash.on("error", () => {});
  await once(unleash, "synchronized");
  await ServerOpenFeature.setProviderAndWait(
    "ofrep",
    new OFREPProvider({ baseUrl: app.url, headers: [["Authorization", `Bearer ${SDK_TOKEN}`]] }),
  );
  await ServerOpenFeature.setProviderAndWait("rollgate", new RollgateProvider({ url: app.url, sdkKey: SDK_TOKEN }));
}, 60_000);
afterAll(async () => {
  unleash?.destroy();
  await ServerOpenFeature.close();
  await WebOpenFeature.close();
});

describe("every client, one table", () => {
  it("the table is not trivial: both answers occur, through allowlist, split, 100 %, disabled and kill", () => {
    const answers = Object.keys(FLAGS).flatMap((f) => USERS.map((u) => expected(f, u)));
    expect(answers.filter(Boolean).length).toBeGreaterThan(15);
    expect(answers.filter((a) => !a).length).toBeGreaterThan(15);
    expect(USERS.some((u) => u !== "qa-1" && expected("Checkout.NewFlow", u))).toBe(true);
    expect(USERS.some((u) => !expected("Checkout.NewFlow", u))).toBe(true);
  });

  it("the OFREP server provider, Rollgate's provider and unleash-client give the table's answers", async () => {
    const ofrep = ServerOpenFeature.getClient("ofrep");
    const rollgate = ServerOpenFeature.getClient("rollgate");
    const wrong: string[] = [];
    for (const flag of Object.keys(FLAGS)) {
      for (const user of USERS) {
        const want = expected(flag, user);
        if ((await ofrep.getBooleanValue(flag, !want, { targetingKey: user })) !== want) wrong.push(`ofrep ${flag} ${user}`);
        if ((await rollgate.getBooleanValue(flag, !want, { targetingKey: user })) !== want) wrong.push(`rollgate ${flag} ${user}`);
        if (unleash.isEnabled(flag, { userId: user }) !== want) wrong.push(`unleash ${flag} ${user}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("the OFREP web provider gives the table's answers, user by user", async () => {
    await WebOpenFeature.setContext({ targetingKey: USERS[0]! });
    await WebOpenFeature.setProviderAndWait(
      new OFREPWebProvider({
        baseUrl: app.url,
        headers: [["Authorization", `Bearer ${SDK_TOKEN}`]],
        pollInterval: 60_000,
        cacheMode: "disabled",
        disableVisibilityRefresh: true,
      }),
    );
    const web = WebOpenFeature.getClient();
    const wrong: string[] = [];
    for (const user of USERS) {
      await WebOpenFeature.setContext({ targetingKey: user });
      for (const flag of Object.keys(FLAGS)) {
        const want = expected(flag, user);
        if (web.getBooleanValue(flag, !want) !== want) wrong.push(`web ${flag} ${user}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
