// GET /api/v1/status: this instance's view of the data plane, through the real server.
import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, patchFlagState, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { eventually } from "../support/eventually";

const { app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

interface Status {
  environments: { key: string; version: number; flags: number }[];
  configReloads: { patched: number; full: number };
  streams: { open: number; snapshots: number; patches: number; bytes: number };
  memory: { rssBytes: number; heapUsedBytes: number };
}
const status = async () => (await call(app.url, "GET", "/api/v1/status", { token: ROLE_TOKENS.viewer })).body as Status;
const production = (s: Status) => s.environments.find((e) => e.key === "production")!;

describe("GET /api/v1/status", () => {
  it("needs a user: 401 without a token, 403 for an SDK token", async () => {
    expect((await call(app.url, "GET", "/api/v1/status")).status).toBe(401);
    expect((await call(app.url, "GET", "/api/v1/status", { token: SDK_TOKEN })).status).toBe(403);
  });

  it("reports the version served, that a one-flag change was patched rather than reloaded, and the open streams", async () => {
    const eng = ROLE_TOKENS.engineer;
    expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key: "status-flag" } })).status).toBe(201);
    // Every environment patches the new flag in; `before` must follow all of them, not only production.
    await eventually(async () => (await status()).environments.every((e) => e.flags === 1), 5000, "the flag is served");
    const before = await status();
    expect(before.memory.rssBytes).toBeGreaterThan(0);

    const controller = new AbortController();
    const stream = await fetch(`${app.url}/api/v1/stream`, {
      headers: { authorization: `Bearer ${SDK_TOKEN}` },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    try {
      await eventually(async () => (await status()).streams.open === before.streams.open + 1, 5000, "the stream is counted");
      expect((await patchFlagState(app.url, eng, "status-flag", "production", { version: 1, enabled: true })).status).toBe(200);
      await eventually(async () => production(await status()).version === production(before).version + 1, 5000, "the change is served");
      const after = await status();
      expect(after.configReloads.patched).toBe(before.configReloads.patched + 1);
      expect(after.configReloads.full).toBe(before.configReloads.full);
      await eventually(async () => (await status()).streams.patches === before.streams.patches + 1, 5000, "the stream got a patch");
    } finally {
      controller.abort();
    }
    await eventually(async () => (await status()).streams.open === before.streams.open, 5000, "the closed stream is no longer counted");
  });
});
