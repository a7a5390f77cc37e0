// The database goes away under a running server (its PostgreSQL is stopped, as in a failover or a
// restart of the database host) and comes back. The dashboard and the management API say so with
// 503 + Retry-After instead of 500, the data plane keeps answering from memory, and everything works
// again once PostgreSQL is back. The server gets a PostgreSQL of its own: the shared test server
// cannot be stopped under the other test files.
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresIdentity } from "../../lib/auth/identity";
import { startSession } from "../../lib/auth/sessions";
import { createDb, type Db } from "../../lib/db/client";
import { databaseUrl, startEmbeddedPostgres, type EmbeddedDatabase } from "../../lib/db/embedded-postgres";
import { ensureDatabase } from "../../lib/db/runtime";
import { migrateUp } from "../../lib/db/migrate";
import { TEST_APP_ROLE_PASSWORD } from "../support/app-role";
import { startTestApp, type TestApp } from "../support/test-app";
import { freePort } from "../support/free-port";
import { call, patchFlagState } from "../support/http";
import { eventually } from "../support/eventually";
import { scratchPath } from "../support/scratch";

const ENG = "outage-engineer-token";
const SDK = "outage-sdk-token";
const dataDir = scratchPath(`outage-${process.pid}`);
let pgPort: number;
let postgres: EmbeddedDatabase | null = null;
let app: TestApp;
let db: Db;
let cookie: string;

const startPostgres = async () => {
  postgres = await startEmbeddedPostgres({ dataDir, port: pgPort, unsafeNoFsync: true });
  return postgres;
};
const page = (p: string) => fetch(`${app.url}${p}`, { headers: { cookie }, redirect: "manual" });
const ofrep = () =>
  fetch(`${app.url}/ofrep/v1/evaluate/flags/outage-flag`, {
    method: "POST",
    headers: { authorization: `Bearer ${SDK}`, "content-type": "application/json" },
    body: JSON.stringify({ context: { targetingKey: "u1" } }),
  });

beforeAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  pgPort = await freePort();
  const server = await startPostgres();
  await ensureDatabase(server.serverUrl, "rollgate");
  const url = databaseUrl(server.serverUrl, "rollgate");
  // As the global setup does for the shared cluster: the app connects as the least-privileged role.
  await migrateUp(url);
  const owner = createDb(url, { max: 1 });
  await owner.$executeRawUnsafe(`ALTER ROLE rollgate_app LOGIN PASSWORD '${TEST_APP_ROLE_PASSWORD}'`);
  await owner.$disconnect();
  app = await startTestApp({ databaseUrl: url, bootstrapTokens: `eng:engineer:${ENG},sdk:production:${SDK}` });
  db = createDb(url, { max: 2 });
  const me = (await postgresIdentity(db).fromApiToken(ENG))!;
  const user = await db.user.findUniqueOrThrow({ where: { id: me.kind === "user" ? me.userId : "" } });
  cookie = `rollgate_session=${(await startSession(db, user, { via: "password" })).secret}`;
  await db.$disconnect();
  expect((await call(app.url, "POST", "/api/v1/flags", { token: ENG, body: { key: "outage-flag" } })).status).toBe(201);
  expect((await patchFlagState(app.url, ENG, "outage-flag", "production", { enabled: true, rolloutPercent: 100 })).status).toBe(200);
});
afterAll(async () => {
  await app?.stop();
  await postgres?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("database outage", () => {
  it("503 + Retry-After from the dashboard and the API, OFREP and streams from memory, recovery after restart", async () => {
    expect((await page("/flags")).status).toBe(200);
    await eventually(async () => (await (await ofrep()).json()).value === true, 5000, "OFREP to see the flag on");

    await postgres!.stop();
    postgres = null;

    // Management API: the error shape every route uses, a code that says what happened, when to retry.
    for (const [method, p, body] of [
      ["GET", "/api/v1/flags", undefined],
      ["GET", "/api/v1/flags/outage-flag", undefined],
      ["GET", "/api/v1/flags/outage-flag/metrics", undefined],
      ["POST", "/api/v1/flags", { key: "during-outage" }],
    ] as const) {
      const res = await fetch(`${app.url}${p}`, {
        method,
        headers: { authorization: `Bearer ${ENG}`, "content-type": "application/json" },
        body: body ? JSON.stringify(body) : undefined,
      });
      expect(res.status, `${method} ${p}`).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect(await res.json()).toEqual({
        error: { code: "DATABASE_UNAVAILABLE", message: "The database is unavailable; try again shortly" },
      });
    }

    // Dashboard: a page that explains, with the same status.
    for (const p of ["/flags", "/flags/outage-flag", "/overview"]) {
      const res = await page(p);
      expect(res.status, p).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      const html = await res.text();
      expect(html).toContain("The database is unavailable");
      expect(html).not.toContain("Internal Server Error");
    }
    // The dashboard's own stream needs the database to check the session: 503, not a 500.
    const live = await fetch(`${app.url}/api/v1/live`, { headers: { cookie } });
    expect(live.status).toBe(503);
    expect(live.headers.get("retry-after")).toBe("5");
    await live.body?.cancel();

    // Events cannot be stored: 503 tells the SDK to keep the batch and send it again.
    const events = await fetch(`${app.url}/api/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${SDK}`, "content-type": "application/json" },
      body: JSON.stringify({ events: [{ flagKey: "outage-flag", variant: "on", outcome: "success", latencyMs: 3 }] }),
    });
    expect(events.status).toBe(503);
    expect(events.headers.get("retry-after")).toBe("5");

    // The data plane answers from memory as before.
    const evaluation = await ofrep();
    expect(evaluation.status).toBe(200);
    expect(await evaluation.json()).toMatchObject({ key: "outage-flag", value: true });
    const stream = await fetch(`${app.url}/api/v1/stream`, { headers: { authorization: `Bearer ${SDK}` } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let received = "";
    while (!received.includes("outage-flag")) received += Buffer.from((await reader.read()).value!).toString("utf8");

    await startPostgres();
    await eventually(
      async () => (await call(app.url, "GET", "/api/v1/flags", { token: ENG })).status === 200,
      20_000,
      "the API to recover",
    );
    await eventually(async () => (await page("/flags")).status === 200, 20_000, "the dashboard to recover");
    const flags = await call(app.url, "GET", "/api/v1/flags", { token: ENG });
    expect(flags.body.flags.map((f: { key: string }) => f.key)).toEqual(["outage-flag"]);
    // And changes flow to open streams again once the server's LISTEN connection is back.
    expect((await patchFlagState(app.url, ENG, "outage-flag", "production", { enabled: false })).status).toBe(200);
    const deadline = Date.now() + 20_000;
    while (!/"outage-flag":\{[^}]*"enabled":false/.test(received) && Date.now() < deadline) {
      const chunk = await reader.read();
      if (chunk.done) break;
      received += Buffer.from(chunk.value).toString("utf8");
    }
    expect(received).toMatch(/"outage-flag":\{[^}]*"enabled":false/);
    await reader.cancel();
  });
});
