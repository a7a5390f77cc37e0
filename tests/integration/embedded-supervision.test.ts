// Issue 22: the embedded PostgreSQL dies under a running server (kill -9 of the postmaster, as the
// OOM killer would). The server restarts it (PostgreSQL's crash recovery replays the WAL) without
// restarting Node, or, when it cannot, exits non-zero so a process manager restarts everything. And
// `npm run audit:verify` works while the server holds the embedded database, with exit codes that
// tell "broken" (1) from "could not run" (2).
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RESTART_DELAYS_MS } from "../../lib/db/embedded-postgres";
import { startTestApp } from "../support/test-app";
import { freePort } from "../support/free-port";
import { call } from "../support/http";
import { eventually } from "../support/eventually";
import { postmasterPid } from "../support/postgres-processes";
import { scratchPath } from "../support/scratch";
import { spawnCli } from "../support/cli";

const TOKEN = "supervise-token-1";
const root = scratchPath(`supervise-${process.pid}`);
afterAll(() => rm(root, { recursive: true, force: true }));

/** `npm run audit:verify` with `env` on top of this process's environment, minus any DATABASE_URL. */
function auditVerify(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base = { ...process.env };
  delete base.DATABASE_URL;
  delete base.DATABASE_MIGRATION_URL;
  const child = spawnCli("audit-verify", [], { env: { ...base, ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

/** Takes `port` on 127.0.0.1 as soon as it is free, so PostgreSQL cannot bind it. */
async function occupy(port: number): Promise<Server> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (bound) return server;
    if (Date.now() > deadline) throw new Error(`port ${port} did not become free`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("the embedded PostgreSQL under supervision", () => {
  it("kill -9 of the postmaster: restarted with crash recovery, a write succeeds again, same Node process", async ({ annotate }) => {
    const dataDir = path.join(root, "restart");
    const app = await startTestApp({
      env: { ROLLGATE_DATA_DIR: dataDir, ROLLGATE_PG_PORT: String(await freePort()) },
      bootstrapTokens: `ops:engineer+admin:${TOKEN}`,
    });
    try {
      expect((await call(app.url, "POST", "/api/v1/flags", { token: TOKEN, body: { key: "before-kill" } })).status).toBe(201);

      // audit:verify while the server holds the database: it uses that PostgreSQL (found through the
      // data dir, not ROLLGATE_PG_PORT, which is left at its default here) instead of failing to start one.
      const verified = await auditVerify({ ROLLGATE_DATA_DIR: dataDir });
      expect(verified.code, verified.stderr + verified.stdout).toBe(0);
      expect(verified.stdout).toContain("using the PostgreSQL already running on");
      expect(verified.stdout).toMatch(/audit chain intact: \d+ entries/);

      const pgDir = path.join(dataDir, "postgres");
      const killed = postmasterPid(pgDir);
      const from = app.output().length;
      const killedAt = performance.now();
      process.kill(killed, "SIGKILL");
      await eventually(
        () =>
          app
            .output()
            .slice(from)
            .includes(`embedded PostgreSQL exited unexpectedly (signal SIGKILL); restarting (attempt 1 of ${RESTART_DELAYS_MS.length})`),
        5000,
        "the exit to be noticed",
      );
      // Writes answer 503 until PostgreSQL is back, then succeed on the same server process.
      const statuses = new Set<number>();
      await eventually(
        async () => {
          const res = await call(app.url, "POST", "/api/v1/flags", { token: TOKEN, body: { key: "after-kill" } });
          statuses.add(res.status);
          return res.status === 201;
        },
        30_000,
        "a write to succeed after the restart",
      );
      const recoveryMs = performance.now() - killedAt;
      expect([...statuses].filter((s) => s !== 201 && s !== 503)).toEqual([]);
      expect(app.output().slice(from)).toMatch(/embedded PostgreSQL is back \(start-up and crash recovery took \d+ ms\)/);
      expect(app.output().match(/listening on/g)).toHaveLength(1);
      expect(postmasterPid(pgDir)).not.toBe(killed);
      // What was committed before the kill survived its crash recovery.
      const flags = await call(app.url, "GET", "/api/v1/flags", { token: TOKEN });
      expect(flags.body.flags.map((f: { key: string }) => f.key).sort()).toEqual(["after-kill", "before-kill"]);
      const lines = app.output().slice(from).split("\n").filter(Boolean);
      expect(lines.length, lines.join("\n")).toBeLessThanOrEqual(20);
      await annotate(`kill -9 of the postmaster: a write succeeded again ${Math.round(recoveryMs)} ms later; ${lines.length} log lines`);
    } finally {
      expect(await app.stop("SIGINT")).toBe(0);
    }
  });

  it("when PostgreSQL cannot be restarted, the server gives up after the last attempt and exits 1", async () => {
    const dataDir = path.join(root, "give-up");
    const port = await freePort();
    const app = await startTestApp({ env: { ROLLGATE_DATA_DIR: dataDir, ROLLGATE_PG_PORT: String(port) } });
    let squatter: Server | null = null;
    try {
      process.kill(postmasterPid(path.join(dataDir, "postgres")), "SIGKILL");
      // Someone else takes the port before the first restart: every attempt fails to bind it.
      squatter = await occupy(port);
      const attempts = RESTART_DELAYS_MS.length;
      const waitedMs = RESTART_DELAYS_MS.reduce((a, b) => a + b, 0);
      await eventually(
        () => app.output().includes(`embedded PostgreSQL could not be restarted after ${attempts} attempts`),
        waitedMs + 15_000,
        "the supervisor to give up",
      );
      expect(app.output()).toContain(`restarting (attempt ${attempts} of ${attempts})`);
      expect(app.output()).toMatch(/did not start: .*could not create any TCP\/IP sockets/);
      // Already on its way out with 1 (a signal now does not change the code of a shutdown under way).
      expect(await app.stop()).toBe(1);
    } finally {
      squatter?.close();
      await app.stop();
    }
  });

  it("audit:verify exits 2 when it cannot run at all, not 1 (which means the log is broken)", async () => {
    const closed = await freePort();
    const unreachable = await auditVerify({
      DATABASE_URL: `postgres://rollgate_app:x@127.0.0.1:${closed}/rollgate`,
      ROLLGATE_DATA_DIR: path.join(root, "verify"),
    });
    expect(unreachable.code).toBe(2);
    // One line that names the variable, the address and what to check (lib/db/connection-failure.ts).
    expect(unreachable.stderr).toMatch(
      new RegExp(
        `^audit:verify could not run: DATABASE_URL: cannot reach PostgreSQL at 127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\): check`,
        "m",
      ),
    );
    expect(unreachable.stderr.trim().split("\n")).toHaveLength(1);
    const misconfigured = await auditVerify({ ROLLGATE_PG_PORT: "not-a-port", ROLLGATE_DATA_DIR: path.join(root, "verify") });
    expect(misconfigured.code).toBe(2);
    expect(misconfigured.stderr).toContain("ROLLGATE_PG_PORT");
  });
});
