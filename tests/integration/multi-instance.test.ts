import { beforeAll, describe, expect, it } from "vitest";
import { RollgateClient } from "../../lib/sdk";
import { setUpTestApp } from "../support/fixture";
import type { TestApp } from "../support/test-app";
import { call, patchFlagState } from "../support/http";
import { eventually } from "../support/eventually";
import { startTcpProxy } from "../support/tcp-proxy";

const ENG = "multi-engineer";
const SDK = "multi-sdk-production";
const {
  t,
  apps: [a, b],
} = setUpTestApp({ bootstrapTokens: `eng:engineer:${ENG},sdk:production:${SDK}`, instances: 2 });
beforeAll(async () => {
  expect((await call(a.url, "POST", "/api/v1/flags", { token: ENG, body: { key: "shared" } })).status).toBe(201);
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
    await eventually(async () => (await ofrep(b)).reason === "DISABLED", 5000, "B knows the new flag");
    // Connected once B knows the flag, so its first snapshot has it. Connected before, it could get a
    // snapshot without the flag and the patch a moment after B's OFREP answered (CI, 2026-12-07).
    const viaB = await RollgateClient.connect({ url: b.url, sdkKey: SDK });
    try {
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

  it("an SDK that moves from A to B resumes with B's patches from the version A gave it", async () => {
    const proxy = await startTcpProxy(a.url);
    const client = await RollgateClient.connect({ url: proxy.url, sdkKey: SDK, maxReconnectDelayMs: 300 });
    const onB = await RollgateClient.connect({ url: b.url, sdkKey: SDK });
    const databaseVersion = async () =>
      (await t.sql(`SELECT config_version::int AS v FROM environments WHERE key = 'production'`)).rows[0].v as number;
    try {
      const v = await databaseVersion();
      await eventually(() => client.version === v && onB.version === v, 5000, "both instances are current");
      proxy.cut(); // A goes away
      for (const rolloutPercent of [10, 20, 30, 40, 50]) {
        expect((await patchFlagState(b.url, ENG, "shared", "production", { rolloutPercent })).status).toBe(200);
      }
      const latest = await databaseVersion();
      await eventually(() => onB.version === latest, 5000, "B has every change");
      proxy.retarget(b.url);
      proxy.resume();

      await eventually(() => client.version === latest, 5000, "the client catches up through B");
      expect(client.configuration()).toEqual(onB.configuration());
      expect(proxy.requests.at(-1)).toMatch(new RegExp(`^last-event-id: ${v}$`, "im"));
      expect(client.streamStats).toMatchObject({ snapshots: 1, gaps: 0 });
    } finally {
      await Promise.all([client.close(), onB.close()]);
      await proxy.close();
    }
  });
});
