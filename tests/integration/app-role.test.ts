import { statSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestDatabase } from "../support/fixture";
import { startTestApp } from "../support/test-app";
import { freePort } from "../support/free-port";
import { BOOTSTRAP, call, ROLE_TOKENS } from "../support/http";
import { scratchPath } from "../support/scratch";
import { runCli } from "../support/cli";

/**
 * The app connects as rollgate_app, which may read and write rows but cannot do what would let it
 * (or an SQL injection through it) rewrite history: skip triggers, disable them, edit or delete
 * audit entries, move the chain's anchor, change the schema.
 */
let app: pg.Client;

const t = setUpTestDatabase();
beforeAll(async () => {
  app = new pg.Client({ connectionString: t.appUrl });
  await app.connect();
  await app.query(
    `INSERT INTO audit_log (actor, action, target_type, target_id) VALUES ('app-role-test', 'test.write', 'test', '1'), ('app-role-test', 'test.write', 'test', '2')`,
  );
});
afterAll(async () => {
  await app?.end();
});

describe("connected as the app role", () => {
  it("is rollgate_app, not a superuser, and owns nothing", async () => {
    const { rows } = await app.query(
      `SELECT current_user AS name, r.rolsuper, r.rolbypassrls, r.rolcreaterole,
              (SELECT count(*)::int FROM pg_class WHERE relowner = r.oid) AS owns
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    expect(rows[0]).toEqual({ name: "rollgate_app", rolsuper: false, rolbypassrls: false, rolcreaterole: false, owns: 0 });
  });

  it("cannot skip or disable triggers, nor edit, delete or truncate the audit log or its anchor", async () => {
    const refused: [string, RegExp][] = [
      ["SET session_replication_role = replica", /permission denied to set parameter "session_replication_role"/],
      ["DELETE FROM audit_log", /permission denied for table audit_log/],
      ["UPDATE audit_log SET actor = 'mallory'", /permission denied for table audit_log/],
      ["TRUNCATE audit_log", /permission denied for table audit_log/],
      ["ALTER TABLE audit_log DISABLE TRIGGER USER", /must be owner of table audit_log/],
      ["ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update", /must be owner of table audit_log/],
      ["UPDATE audit_anchor SET entries = 0", /permission denied for table audit_anchor/],
      ["DROP TABLE audit_log", /must be owner of table audit_log/],
      ["CREATE TABLE public.sneaky (id int)", /permission denied for schema public/],
      ["SELECT rollgate_lock_down()", /permission denied for function rollgate_lock_down/],
      ["DELETE FROM schema_migrations", /permission denied for table schema_migrations/],
    ];
    for (const [sql, error] of refused) await expect(app.query(sql), sql).rejects.toThrow(error);
    // What it is for still works: rows of every table, appending to the log (the chain moves on).
    const { rows } = await app.query(`SELECT count(*)::int AS n, max(id)::int AS head FROM audit_log`);
    expect(rows[0]).toEqual({ n: 2, head: 2 });
    expect((await app.query(`SELECT entries::int, last_id::int FROM audit_anchor`)).rows[0]).toEqual({ entries: 2, last_id: 2 });
  });

  it("the test server runs as it: every integration test exercises the grants", async () => {
    const server = await startTestApp({ databaseUrl: t.url, bootstrapTokens: BOOTSTRAP });
    try {
      expect(server.output()).toContain("connected as rollgate_app");
      const created = await call(server.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key: "as-app-role" } });
      expect(created.status).toBe(201);
      const { rows } = await t.sql(
        `SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND usename <> 'postgres'`,
        [t.name],
      );
      expect(rows.map((r) => r.usename)).toEqual(["rollgate_app"]);
    } finally {
      await server.stop();
    }
  });
});

describe("npm start with the embedded database", () => {
  const dataDir = scratchPath(`app-role-${process.pid}`);
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it("creates the app role's login, keeps its password in the data dir (600), and audit:verify runs with the same environment", async () => {
    const env = { ROLLGATE_DATA_DIR: dataDir, ROLLGATE_PG_PORT: String(await freePort()), ROLLGATE_DEMO: "off" };
    const server = await startTestApp({ env, bootstrapTokens: "ci-bot:engineer:app-role-token-1" });
    try {
      expect(server.output()).toContain("connected as rollgate_app");
      expect(statSync(path.join(dataDir, "app-role-password")).mode & 0o777).toBe(0o600);
      const created = await call(server.url, "POST", "/api/v1/flags", { token: "app-role-token-1", body: { key: "embedded-app-role" } });
      expect(created.status).toBe(201);
    } finally {
      expect(await server.stop("SIGINT")).toBe(0);
    }
    const environment: NodeJS.ProcessEnv = { ...process.env, ...env };
    delete environment.DATABASE_URL;
    const verify = runCli("audit-verify", [], { env: environment });
    expect(verify.status, verify.stderr + verify.stdout).toBe(0);
    expect(verify.stdout).toMatch(/audit chain intact: \d+ entries/);
  });
});
