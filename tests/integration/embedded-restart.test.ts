import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startTestApp } from "../support/test-app";
import { freePort } from "../support/free-port";
import { call } from "../support/http";

const dataDir = path.resolve(".data", `restart-${process.pid}`);
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe("npm start without DATABASE_URL", () => {
  it("boots embedded PostgreSQL, seeds the demo once, keeps data across a Ctrl-C restart", async () => {
    const env = { ROLLGATE_DATA_DIR: dataDir, ROLLGATE_PG_PORT: String(await freePort()), ROLLGATE_DEMO: "auto" };
    const bootstrapTokens = "ci-bot:engineer:restart-token-1";

    const first = await startTestApp({ env, bootstrapTokens });
    expect(first.output()).toContain("embedded PostgreSQL");
    expect(first.output()).toContain("seeded demo data");
    expect(first.output()).toContain('demo users (password "rollgate-demo")');
    const landing = await fetch(first.url, { redirect: "manual" });
    expect(landing.status).toBe(307);
    expect(landing.headers.get("location")).toBe("/sign-in");
    const created = await call(first.url, "POST", "/api/v1/flags", { token: "restart-token-1", body: { key: "survives-restart" } });
    expect(created.status).toBe(201);

    expect(await first.stop("SIGINT")).toBe(0);
    // A clean PostgreSQL shutdown removes its pid file.
    expect(existsSync(path.join(dataDir, "postgres", "postmaster.pid"))).toBe(false);

    const second = await startTestApp({ env, bootstrapTokens });
    try {
      expect(second.output()).not.toContain("seeded demo data");
      const flags = await call(second.url, "GET", "/api/v1/flags", { token: "restart-token-1" });
      const keys = flags.body.flags.map((f: { key: string }) => f.key);
      expect(keys).toContain("survives-restart");
      expect(keys).toContain("messaging-v2");
    } finally {
      expect(await second.stop("SIGINT")).toBe(0);
    }
  });

  it("a start-up that fails after PostgreSQL booted exits non-zero and shuts PostgreSQL down", async () => {
    const failDir = `${dataDir}-fail`;
    try {
      const env = { ROLLGATE_DATA_DIR: failDir, ROLLGATE_PG_PORT: String(await freePort()), ROLLGATE_DEMO: "off" };
      const error = await startTestApp({ env, bootstrapTokens: "sdk:no-such-env:token-123456" }).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/server exited with 1/);
      expect((error as Error).message).toMatch(/environment 'no-such-env' does not exist/);
      expect(existsSync(path.join(failDir, "postgres", "PG_VERSION"))).toBe(true);
      expect(existsSync(path.join(failDir, "postgres", "postmaster.pid"))).toBe(false);
    } finally {
      await rm(failDir, { recursive: true, force: true });
    }
  });
});
