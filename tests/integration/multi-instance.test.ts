import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RollgateClient } from "../../lib/sdk";
import { createTestDatabase, type TestDatabase } from "../support/test-database";
import { startTestApp, type TestApp } from "../support/test-app";
import { call, patchFlagState } from "../support/http";
import { eventually } from "../support/eventually";

const ENG = "multi-engineer";
const SDK = "multi-sdk-production";
let t: TestDatabase;
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  t = await createTestDatabase();
  const bootstrapTokens = `eng:engineer:${ENG},sdk:production:${SDK}`;
  [a, b] = await Promise.all([
    startTestApp({ databaseUrl: t.url, bootstrapTokens }),
    startTestApp({ databaseUrl: t.url, bootstrapTokens }),
  ]);
  expect((await call(a.url, "POST", "/api/v1/flags", { token: ENG, body: { key: "shared" } })).status).toBe(201);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await t?.drop();
});

const ofrep = async (app: TestApp) => {
  const res = await fetch(`${app.url}/ofrep/v1/evaluate/flags/shared`, {
    method: "POST",
    headers: { authorization: `Bearer ${SDK}` },
    body: JSON.stringify({ context: { targetingKey: "u" } }),
  });
  return (await res.json()) as { value: boolean; reason: string };
};

describe("two app instances on one database", () => {
  it("a change through instance A is served by B's OFREP and B's stream within a second", async () => {
    const viaB = await RollgateClient.connect({ url: b.url, sdkKey: SDK });
    try {
      await eventually(async () => (await ofrep(b)).reason === "DISABLED", 5000, "B knows the new flag");
      expect(viaB.evaluate("shared", "u")).toMatchObject({ value: false, reason: "DISABLED" });

      const patched = await patchFlagState(a.url, ENG, "shared", "production", { enabled: true, rolloutPercent: 100 });
      expect(patched.status).toBe(200);
      const committedAt = Date.now();

      await Promise.all([
        eventually(async () => (await ofrep(b)).value === true, 5000, "B's OFREP serves the change"),
        eventually(() => viaB.isEnabled("shared", "u") === true, 5000, "B's stream delivers the change"),
      ]);
      expect(Date.now() - committedAt).toBeLessThan(1000);
      expect(await ofrep(b)).toMatchObject({ value: true, reason: "STATIC" });
    } finally {
      await viaB.close();
    }
  });
});
