// A management write answers once the instance that took it serves the change to SDKs
// (lib/evaluation/served-here.ts): a flag created through the API is found by OFREP as soon as the 201
// arrives, and a changed state is served as soon as the 200 arrives.
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, patchFlagState, ROLE_TOKENS, SDK_TOKEN, type HttpResult } from "../support/http";

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });
const eng = ROLE_TOKENS.engineer;
let seq = 0;

const evaluate = (key: string) =>
  call(app.url, "POST", `/ofrep/v1/evaluate/flags/${key}`, { token: SDK_TOKEN, body: { context: { targetingKey: "user-1" } } });

/**
 * Holds back this instance's reload of a changed flag, not the write: the reload reads
 * flag_state_segments (lib/evaluation/load-snapshot.ts), which a flag without targeting never writes.
 */
async function holdReloads(): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: t.url });
  await client.connect();
  await client.query("BEGIN");
  await client.query("LOCK TABLE flag_state_segments IN ACCESS EXCLUSIVE MODE");
  return {
    async release() {
      await client.query("COMMIT");
      await client.end();
    },
  };
}
let held: { release(): Promise<void> } | null = null;
afterEach(async () => {
  await held?.release();
  held = null;
});

/** Whether `request` answers within `ms`. */
const answersWithin = (request: Promise<HttpResult>, ms: number) =>
  Promise.race([request.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), ms))]);

describe("a write answers once this instance serves it", () => {
  it("a new flag: no answer while the reload is held back; once it arrives, OFREP finds the flag", async () => {
    const key = `ryw-${process.pid}-${++seq}`;
    held = await holdReloads();
    const created = call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } });
    expect(await answersWithin(created, 400)).toBe(false);
    // The write itself has committed: only serving it waits.
    expect((await t.sql("SELECT count(*)::int AS n FROM flags WHERE key = $1", [key])).rows[0].n).toBe(1);
    await held.release();
    held = null;
    expect((await created).status).toBe(201);
    const served = await evaluate(key);
    expect(served.status).toBe(200);
    expect(served.body).toMatchObject({ key, value: false, reason: "DISABLED" });
  });

  it("a changed state is served as soon as the 200 arrives, every time", async () => {
    const key = `ryw-${process.pid}-${++seq}`;
    expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
    expect((await evaluate(key)).status).toBe(200);
    for (let i = 0; i < 10; i++) {
      const enabled = i % 2 === 0;
      expect((await patchFlagState(app.url, eng, key, "production", { enabled, rolloutPercent: 100 })).status).toBe(200);
      expect((await evaluate(key)).body).toMatchObject({ value: enabled, reason: enabled ? "STATIC" : "DISABLED" });
    }
  });

  it("a refused write does not wait: a conflict answers while reloads are held back", async () => {
    const key = `ryw-${process.pid}-${++seq}`;
    expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
    held = await holdReloads();
    const again = call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } });
    expect(await answersWithin(again, 5_000)).toBe(true);
    expect((await again).status).toBe(409);
  });
});
