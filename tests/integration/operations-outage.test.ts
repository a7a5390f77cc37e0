// /readyz and /metrics while the database goes away and comes back, on a server with a metrics token
// that logs in the JSON format (every line of its output must be a JSON object, outage lines too).
// The server gets a PostgreSQL of its own: the shared test cluster cannot be stopped under other files.
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../lib/db/client";
import { databaseUrl, startEmbeddedPostgres, type EmbeddedDatabase } from "../../lib/db/embedded-postgres";
import { ensureDatabase } from "../../lib/db/runtime";
import { migrateUp } from "../../lib/db/migrate";
import { TEST_APP_ROLE_PASSWORD } from "../support/app-role";
import { startTestApp, type TestApp } from "../support/test-app";
import { freePort } from "../support/free-port";
import { eventually } from "../support/eventually";
import { parseExposition, sampleValue } from "../support/prometheus-text";
import { scratchPath } from "../support/scratch";

const METRICS_TOKEN = "ops-metrics-token-0123456789";
const dataDir = scratchPath(`ops-outage-${process.pid}`);
let pgPort: number;
let postgres: EmbeddedDatabase | null = null;
let app: TestApp;

const startPostgres = async () => (postgres = await startEmbeddedPostgres({ dataDir, port: pgPort, unsafeNoFsync: true }));
const ready = () => fetch(`${app.url}/readyz`);
const metrics = (token?: string) => fetch(`${app.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

beforeAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  pgPort = await freePort();
  const server = await startPostgres();
  await ensureDatabase(server.serverUrl, "rollgate");
  const url = databaseUrl(server.serverUrl, "rollgate");
  await migrateUp(url);
  const owner = createDb(url, { max: 1 });
  await owner.$executeRawUnsafe(`ALTER ROLE rollgate_app LOGIN PASSWORD '${TEST_APP_ROLE_PASSWORD}'`);
  await owner.$disconnect();
  app = await startTestApp({ databaseUrl: url, env: { ROLLGATE_METRICS_TOKEN: METRICS_TOKEN, ROLLGATE_LOG_FORMAT: "json" } });
});
afterAll(async () => {
  await app?.stop();
  await postgres?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("operations during a database outage", () => {
  it("GET /metrics with ROLLGATE_METRICS_TOKEN set: 401 without the token or with another, 200 with it", async () => {
    const none = await metrics();
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await none.json()).error.code).toBe("UNAUTHENTICATED");
    expect((await metrics("not-the-metrics-token")).status).toBe(401);
    const ok = await metrics(METRICS_TOKEN);
    expect(ok.status).toBe(200);
    expect(sampleValue(parseExposition(await ok.text()), "rollgate_database_up")).toBe(1);
    // The probes stay open: an orchestrator has no token.
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it("/readyz: 200, then 503 with the reason while the database is stopped (/healthz still 200), then 200 again", async () => {
    expect((await ready()).status).toBe(200);
    await postgres!.stop();
    postgres = null;

    type Body = { status: string; checks: { database: string; configuration: string } };
    let down: Response | undefined;
    let body: Body | undefined;
    // The configuration listener notices first (its connection drops), the database check within its 1 s cache.
    await eventually(
      async () => {
        down = await ready();
        body = (await down.json()) as Body;
        return body.checks.database !== "ok";
      },
      10_000,
      "/readyz to find the database gone",
    );
    expect(down!.status).toBe(503);
    expect(body!.status).toBe("not ready");
    expect(body!.checks.database).toMatch(/^(unreachable: |the database did not answer)/);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const during = parseExposition(await (await metrics(METRICS_TOKEN)).text());
    expect(sampleValue(during, "rollgate_database_up")).toBe(0);

    await startPostgres();
    await eventually(async () => (await ready()).status === 200, 30_000, "/readyz to recover");
    expect(await (await ready()).json()).toEqual({ status: "ready", checks: { database: "ok", configuration: "ok" } });
    expect(sampleValue(parseExposition(await (await metrics(METRICS_TOKEN)).text()), "rollgate_database_up")).toBe(1);
  });

  it("ROLLGATE_LOG_FORMAT=json: every line is one JSON object with time, level, component and msg; no stacks for the outage", async () => {
    // The outage above made the database and the configuration store log; a request that fails logs too.
    expect((await fetch(`${app.url}/api/v1/flags`, { headers: { authorization: "Bearer nobody" } })).status).toBe(401);
    const lines = app
      .output()
      .split("\n")
      .filter((l) => l !== "");
    expect(lines.length).toBeGreaterThan(5);
    const entries = lines.map((line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
      expect(typeof entry.time === "string" && !Number.isNaN(Date.parse(entry.time)), line).toBe(true);
      expect(["info", "warn", "error"], line).toContain(entry.level);
      expect(typeof entry.component, line).toBe("string");
      expect(typeof entry.msg, line).toBe("string");
      return entry as { level: string; component: string; msg: string; error?: unknown };
    });
    expect(entries).toContainEqual(
      expect.objectContaining({ level: "info", component: "server", msg: expect.stringMatching(/^listening on http:/) }),
    );
    const outage = entries.filter((e) => /database unavailable|unreachable|terminat|ECONNREFUSED|listener disconnected/i.test(e.msg));
    expect(outage.length).toBeGreaterThan(0);
    for (const e of outage) {
      expect(e.error, e.msg).toBeUndefined();
      expect(e.msg).not.toMatch(/\n\s+at /);
    }
  });
});
