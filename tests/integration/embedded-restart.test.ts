import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseUrl, startEmbeddedPostgres } from "../../lib/db/embedded-postgres";
import { migrateUp } from "../../lib/db/migrate";
import { ensureDatabase } from "../../lib/db/runtime";
import { startTestApp } from "../support/test-app";
import { freePort } from "../support/free-port";
import { call } from "../support/http";
import { eventually } from "../support/eventually";
import { scratchPath } from "../support/scratch";
import { isRunning } from "../support/stop-with-process";

async function show(port: number, settings: string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: `postgres://rollgate:rollgate@127.0.0.1:${port}/rollgate` });
  await client.connect();
  try {
    const out: string[] = [];
    for (const s of settings) out.push((await client.query<Record<string, string>>(`SHOW ${s}`)).rows[0]![s]!);
    return out;
  } finally {
    await client.end();
  }
}

const dataDir = scratchPath(`restart-${process.pid}`);
const templateDir = `${dataDir}-template`;
afterAll(() => Promise.all([dataDir, templateDir].map((dir) => rm(dir, { recursive: true, force: true }))));

// The tests about restarts start from a data directory that has been through initdb and the
// migrations once, copied (a cluster's directory is self-contained): each initdb and first migration
// costs seconds of CPU, and the first two tests already cover a first boot from nothing.
beforeAll(async () => {
  const server = await startEmbeddedPostgres({ dataDir: path.join(templateDir, "postgres"), port: await freePort(), unsafeNoFsync: true });
  try {
    await ensureDatabase(server.serverUrl, "rollgate");
    await migrateUp(databaseUrl(server.serverUrl, "rollgate"));
  } finally {
    await server.stop();
  }
});
// `cp -a`: as root, PostgreSQL runs as a user of its own and needs to keep owning its files.
const fromTemplate = async (dir: string) => {
  const copied = spawnSync("cp", ["-a", templateDir, dir], { encoding: "utf8" });
  expect(copied.status, copied.stderr).toBe(0);
};

// Each test boots real PostgreSQL clusters and full servers, some twice (the first also runs initdb,
// every migration and the demo seed): a start that takes 2 s alone took 10–15 s beside the rest of the
// suite on two cores, and the first test passed 60 s once. The bound catches a hang, not slowness.
describe("npm start without DATABASE_URL", { timeout: 180_000 }, () => {
  it("boots embedded PostgreSQL, seeds the demo once, keeps data across a Ctrl-C restart", async () => {
    const env = { ROLLGATE_DATA_DIR: dataDir, ROLLGATE_PG_PORT: String(await freePort()), ROLLGATE_DEMO: "auto" };
    const bootstrapTokens = "ci-bot:engineer:restart-token-1";

    const first = await startTestApp({ env, bootstrapTokens });
    expect(first.output()).toContain("embedded PostgreSQL");
    // TCP only: no Unix socket in PostgreSQL's default directory to be left behind by a kill.
    expect(existsSync(`/tmp/.s.PGSQL.${env.ROLLGATE_PG_PORT}`)).toBe(false);
    expect(readFileSync(path.join(dataDir, "postgres", "postmaster.pid"), "utf8").split("\n")[4]).toBe("");
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
    // Someone kept PostgreSQL's logs in files (ALTER SYSTEM writes this file): the log Rollgate reads
    // "ready" from would go quiet, and start-up used to wait for it forever.
    appendFileSync(
      path.join(dataDir, "postgres", "postgresql.auto.conf"),
      "logging_collector = on\nlog_destination = 'csvlog'\nlog_min_messages = panic\n",
    );

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

  it("is durable by default: fsync, synchronous_commit and full_page_writes are on", async () => {
    const durableDir = `${dataDir}-durable`;
    await fromTemplate(durableDir);
    try {
      const port = await freePort();
      // The harness turns fsync off and password hashing down for speed; this start uses what `npm start` uses.
      const env = {
        ROLLGATE_DATA_DIR: durableDir,
        ROLLGATE_PG_PORT: String(port),
        ROLLGATE_PG_UNSAFE_NO_FSYNC: "0",
        ROLLGATE_UNSAFE_FAST_PASSWORD_HASH: "0",
      };
      const app = await startTestApp({ env });
      try {
        expect(await show(port, ["fsync", "synchronous_commit", "full_page_writes"])).toEqual(["on", "on", "on"]);
        expect(app.output()).not.toContain("ROLLGATE_PG_UNSAFE_NO_FSYNC");
        expect(app.output()).not.toContain("ROLLGATE_UNSAFE_FAST_PASSWORD_HASH");
      } finally {
        expect(await app.stop("SIGINT")).toBe(0);
      }
      // And the test-only switch really does what it says.
      const unsafe = await startTestApp({ env: { ...env, ROLLGATE_PG_UNSAFE_NO_FSYNC: "1", ROLLGATE_UNSAFE_FAST_PASSWORD_HASH: "1" } });
      try {
        expect(await show(port, ["fsync", "synchronous_commit", "full_page_writes"])).toEqual(["off", "off", "off"]);
        expect(unsafe.output()).toContain("WARNING: ROLLGATE_PG_UNSAFE_NO_FSYNC=1");
        expect(unsafe.output()).toContain("WARNING: ROLLGATE_UNSAFE_FAST_PASSWORD_HASH=1");
      } finally {
        expect(await unsafe.stop("SIGINT")).toBe(0);
      }
    } finally {
      await rm(durableDir, { recursive: true, force: true });
    }
  });

  it("after kill -9 of the server, the next start stops the orphaned PostgreSQL and keeps the data", async () => {
    const killDir = `${dataDir}-kill`;
    const pidFile = path.join(killDir, "postgres", "postmaster.pid");
    let orphan = 0;
    await fromTemplate(killDir);
    try {
      const env = { ROLLGATE_DATA_DIR: killDir, ROLLGATE_PG_PORT: String(await freePort()), ROLLGATE_PG_UNSAFE_NO_FSYNC: "0" };
      const bootstrapTokens = "ci-bot:engineer:kill-token-1";
      const first = await startTestApp({ env, bootstrapTokens });
      expect((await call(first.url, "POST", "/api/v1/flags", { token: "kill-token-1", body: { key: "survives-kill" } })).status).toBe(201);
      orphan = Number(readFileSync(pidFile, "utf8").split("\n")[0]);

      // SIGKILL cannot be caught: nothing in Node gets to stop PostgreSQL.
      expect(await first.stop("SIGKILL")).toBeNull();
      expect(isRunning(orphan)).toBe(true);
      expect(existsSync(pidFile)).toBe(true);

      const second = await startTestApp({ env, bootstrapTokens });
      try {
        expect(second.output()).toContain(`stopped PostgreSQL (PID ${orphan}) left running`);
        await eventually(() => !isRunning(orphan), 5000, "the orphan to be gone");
        const flags = await call(second.url, "GET", "/api/v1/flags", { token: "kill-token-1" });
        expect(flags.body.flags.map((f: { key: string }) => f.key)).toContain("survives-kill");
        expect(Number(readFileSync(pidFile, "utf8").split("\n")[0])).not.toBe(orphan);
      } finally {
        expect(await second.stop("SIGINT")).toBe(0);
      }
    } finally {
      if (orphan && isRunning(orphan)) process.kill(orphan, "SIGQUIT");
      await rm(killDir, { recursive: true, force: true });
    }
  });

  it("a postmaster.pid naming a live process that is not our PostgreSQL (a reused PID) is removed, not obeyed", async () => {
    const staleDir = `${dataDir}-stale`;
    const pidFile = path.join(staleDir, "postgres", "postmaster.pid");
    const impostor = spawn("sleep", ["60"], { stdio: "ignore" });
    await fromTemplate(staleDir);
    try {
      const env = { ROLLGATE_DATA_DIR: staleDir, ROLLGATE_PG_PORT: String(await freePort()) };
      const first = await startTestApp({ env });
      expect(await first.stop("SIGINT")).toBe(0);
      // What a crash leaves behind once the PID has been handed to another program. PostgreSQL alone
      // refuses to start here when it cannot signal that process (it runs as another user).
      writeFileSync(pidFile, `${impostor.pid}\n${path.join(staleDir, "postgres")}\n0\n${env.ROLLGATE_PG_PORT}\n\n127.0.0.1\n0 0\nready\n`);
      const second = await startTestApp({ env });
      try {
        expect(second.output()).toContain(`removed a stale postmaster.pid`);
        expect(second.output()).toContain(`PID ${impostor.pid} is now another program`);
        expect(isRunning(impostor.pid!)).toBe(true); // never signalled
      } finally {
        expect(await second.stop("SIGINT")).toBe(0);
      }
    } finally {
      impostor.kill();
      await rm(staleDir, { recursive: true, force: true });
    }
  });
});
