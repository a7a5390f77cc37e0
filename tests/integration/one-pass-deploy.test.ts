// Issue 27's acceptance: a newcomer's own PostgreSQL 17 (here the embedded binaries on a port of their
// own, a fresh server per scenario since roles are server-wide), a database and an owner that may
// create roles but is no superuser, and `npm start` with only DATABASE_URL (rollgate_app, with the
// password it should have) and DATABASE_MIGRATION_URL (the owner). It serves in one pass as
// rollgate_app, `npm run user:create` makes the first admin, who signs in, and a second instance sees
// a change. Then the same on a server that has Supabase's roles and default grants first, and the
// mistakes an operator makes, each stopped with one line that names the fix.
import { mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseUrl, startEmbeddedPostgres, type EmbeddedDatabase } from "../../lib/db/embedded-postgres";
import { serverActionIds } from "../fuzz/support/fuzz-world";
import { eventually } from "../support/eventually";
import { freePort } from "../support/free-port";
import { parseExposition, sampleValue } from "../support/prometheus-text";
import { startTestApp, type TestApp } from "../support/test-app";
import { scratchPath, scratchRoot } from "../support/scratch";
import { runCli } from "../support/cli";
import type { CliScript } from "../support/server-bundle";

const APP_PASSWORD = "app-secret-from-database-url";

interface Server {
  postgres: EmbeddedDatabase;
  dataDir: string;
  /** Runs statements as the server's superuser, in `database` (the maintenance database by default). */
  sql(text: string, database?: string): Promise<pg.QueryResult>;
  url(user: string, password: string, database: string): string;
}

async function freshServer(name: string): Promise<Server> {
  const dataDir = scratchPath(`one-pass-${name}-${process.pid}`);
  await rm(dataDir, { recursive: true, force: true });
  const postgres = await startEmbeddedPostgres({ dataDir, port: await freePort(), unsafeNoFsync: true });
  return {
    postgres,
    dataDir,
    async sql(text, database = "postgres") {
      const client = new pg.Client({ connectionString: databaseUrl(postgres.serverUrl, database) });
      await client.connect();
      try {
        return await client.query(text);
      } finally {
        await client.end();
      }
    },
    url(user, password, database) {
      const u = new URL(databaseUrl(postgres.serverUrl, database));
      u.username = user;
      u.password = password;
      return u.toString();
    },
  };
}

/** `npm run user:create` with the same environment as the server. */
function userCreate(env: Record<string, string>, args: string[]) {
  return runCli("user-create", args, { env: { ...process.env, ROLLGATE_DEMO: "off", ROLLGATE_LOG_FORMAT: "pretty", ...env } });
}

/** Submits the sign-in form as React does; the session cookie it sets, if any. */
async function signInOverHttp(app: TestApp, email: string, password: string): Promise<string | null> {
  const body = new FormData();
  body.append("_1_email", email);
  body.append("_1_password", password);
  body.append("0", '[{},"$K1"]');
  const res = await fetch(`${app.url}/sign-in`, {
    method: "POST",
    headers: { "next-action": serverActionIds().get("signInAction")!, accept: "text/x-component" },
    body,
    redirect: "manual",
  });
  await res.text();
  return /(rollgate_session=[^;]+)/.exec(res.headers.get("set-cookie") ?? "")?.[1] ?? null;
}

/** The server's output when it stops during start-up; fails the test if it starts serving instead. */
async function startUpFailure(urls: { app: string; migration: string }): Promise<string> {
  const started = await startTestApp({ databaseUrls: urls }).then(
    async (app) => {
      await app.stop();
      return null;
    },
    (err: Error) => err.message,
  );
  if (started === null) throw new Error("the server started");
  return started;
}

/** The `failed to start: …` line, checked to be the only error line and free of a stack trace. */
function theFailureLine(output: string): string {
  expect(output).toMatch(/^server exited with 1:/);
  expect(output).not.toMatch(/^\s+at /m);
  const failures = output.split("\n").filter((l) => l.includes("failed to start"));
  expect(failures).toHaveLength(1);
  return failures[0]!;
}

/**
 * The one-pass deployment on `database`, owned by `owner`: serves as rollgate_app, the first admin
 * made at the command line signs in and creates a flag, and a second instance picks up its change.
 */
async function deploysInOnePass(server: Server, database: string, owner: { name: string; password: string }) {
  const urls = { app: server.url("rollgate_app", APP_PASSWORD, database), migration: server.url(owner.name, owner.password, database) };
  const dataDir = mkdtempSync(path.join(scratchRoot(), "rollgate-one-pass-"));
  const env = { DATABASE_URL: urls.app, DATABASE_MIGRATION_URL: urls.migration, ROLLGATE_DATA_DIR: dataDir };
  const apps: TestApp[] = [];
  try {
    // Full-cost password hashing, as a deployment has (the harness's test-only switch would print its warning).
    const a = await startTestApp({ databaseUrls: urls, env: { ROLLGATE_DATA_DIR: dataDir, ROLLGATE_UNSAFE_FAST_PASSWORD_HASH: "0" } });
    apps.push(a);
    // The migrations created it without login (the owner may create roles); start-up gave it DATABASE_URL's password.
    expect(a.output()).toContain("rollgate_app now logs in with the password in DATABASE_URL");
    expect(a.output()).toContain("connected as rollgate_app");
    expect(a.output()).not.toContain("WARNING");
    // Every connection the server keeps is rollgate_app's (the owner's were for start-up only).
    await eventually(
      async () => {
        const { rows } = await server.sql(
          `SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = '${database}' AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
        );
        return JSON.stringify(rows.map((r) => r.usename)) === '["rollgate_app"]';
      },
      5000,
      "only rollgate_app is connected",
    );

    const created = userCreate(env, ["--email", "ops@example.com", "--name", "Ops Lead", "--roles", "admin,engineer"]);
    expect(created.status, created.stderr + created.stdout).toBe(0);
    const password = /password \(shown only now\): (\S+)/.exec(created.stdout)?.[1];
    expect(password).toBeTruthy();
    const cookie = await signInOverHttp(a, "ops@example.com", password!);
    expect(cookie).toBeTruthy();
    const admin = await fetch(`${a.url}/admin`, { headers: { cookie: cookie! }, redirect: "manual" });
    expect(admin.status).toBe(200);

    // The same data dir: the second instance also checks the audit anchor the first exported.
    const b = await startTestApp({ databaseUrls: urls, env: { ROLLGATE_DATA_DIR: dataDir } });
    apps.push(b);
    expect(b.output()).not.toContain("logs in with the password in DATABASE_URL");
    const asAdmin = { cookie: cookie!, origin: a.url, "content-type": "application/json" };
    const flag = await fetch(`${a.url}/api/v1/flags`, { method: "POST", headers: asAdmin, body: JSON.stringify({ key: "first-flag" }) });
    expect(flag.status, await flag.clone().text()).toBe(201);
    const state = ((await flag.json()) as { environments: Record<string, { version: number }> }).environments.production!;
    const patched = await fetch(`${a.url}/api/v1/flags/first-flag/environments/production`, {
      method: "PATCH",
      headers: asAdmin,
      body: JSON.stringify({ version: state.version, enabled: true, rolloutPercent: 100 }),
    });
    expect(patched.status, await patched.clone().text()).toBe(200);
    const { rows } = await server.sql(`SELECT config_version::int AS v FROM environments WHERE key = 'production'`, database);
    await eventually(
      async () => {
        const families = parseExposition(await (await fetch(`${b.url}/metrics`)).text());
        return sampleValue(families, "rollgate_config_version", { environment: "production" }) === rows[0].v;
      },
      5000,
      "instance B's configuration has A's change",
    );
    for (const app of apps) expect(app.output()).not.toContain("AUDIT ANCHOR");
  } finally {
    for (const app of apps) await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe("one pass on your own PostgreSQL", () => {
  let server: Server;
  beforeAll(async () => {
    server = await freshServer("plain");
    await server.sql(`CREATE ROLE rollgate_owner LOGIN CREATEROLE PASSWORD 'owner-secret'`);
    await server.sql(`CREATE DATABASE rollgate OWNER rollgate_owner`);
    await server.sql(`CREATE ROLE plain_owner LOGIN PASSWORD 'plain-secret'`);
    await server.sql(`CREATE DATABASE plain OWNER plain_owner`);
  });
  afterAll(async () => {
    await server?.postgres.stop();
    if (server) await rm(server.dataDir, { recursive: true, force: true });
  });

  it("an owner without CREATEROLE is stopped before migrating, with the two ways out", async () => {
    const line = theFailureLine(
      await startUpFailure({
        app: server.url("rollgate_app", APP_PASSWORD, "plain"),
        migration: server.url("plain_owner", "plain-secret", "plain"),
      }),
    );
    expect(line).toContain(
      "plain_owner (DATABASE_MIGRATION_URL) may not create or change roles: grant CREATEROLE to plain_owner (as a superuser: ALTER ROLE plain_owner CREATEROLE) or create rollgate_app yourself: CREATE ROLE rollgate_app LOGIN PASSWORD '<the password in DATABASE_URL>'",
    );
    expect((await server.sql(`SELECT to_regclass('public.schema_migrations') AS t`, "plain")).rows[0].t).toBeNull();
  });

  it("a wrong owner password, a missing database and an unreachable server: one line each", async () => {
    const app = server.url("rollgate_app", APP_PASSWORD, "rollgate");
    expect(theFailureLine(await startUpFailure({ app, migration: server.url("rollgate_owner", "wrong", "rollgate") }))).toContain(
      `DATABASE_MIGRATION_URL: password authentication failed for user "rollgate_owner" on 127.0.0.1:${server.postgres.port}: put that role's password in DATABASE_MIGRATION_URL`,
    );
    expect(
      theFailureLine(
        await startUpFailure({
          app: server.url("rollgate_app", APP_PASSWORD, "missing"),
          migration: server.url("rollgate_owner", "owner-secret", "missing"),
        }),
      ),
    ).toContain(
      `DATABASE_MIGRATION_URL: database "missing" does not exist on 127.0.0.1:${server.postgres.port}: create it (as a superuser or a role with CREATEDB): createdb -h 127.0.0.1 -p ${server.postgres.port} -O rollgate_owner missing`,
    );
    const closed = await freePort();
    expect(
      theFailureLine(
        await startUpFailure({
          app: `postgres://rollgate_app:x@127.0.0.1:${closed}/rollgate`,
          migration: `postgres://rollgate_owner:owner-secret@127.0.0.1:${closed}/rollgate`,
        }),
      ),
    ).toContain(`DATABASE_MIGRATION_URL: cannot reach PostgreSQL at 127.0.0.1:${closed} (ECONNREFUSED)`);
  });

  it("serves in one pass as rollgate_app; the first admin signs in; a second instance sees a change", async () => {
    await deploysInOnePass(server, "rollgate", { name: "rollgate_owner", password: "owner-secret" });
  });

  it("a role made by someone else: a wrong password in DATABASE_URL is one line; the right one serves (the manual way)", async () => {
    // rollgate_app now exists (made by rollgate_owner above); plain_owner may use it but not change it.
    const urls = (password: string) => ({
      app: server.url("rollgate_app", password, "plain"),
      migration: server.url("plain_owner", "plain-secret", "plain"),
    });
    expect(theFailureLine(await startUpFailure(urls("not-the-password")))).toContain(
      "DATABASE_URL: password authentication failed for rollgate_app, and plain_owner may not change its password (that takes CREATEROLE and ADMIN OPTION on rollgate_app): put rollgate_app's password in DATABASE_URL, or as a superuser: ALTER ROLE rollgate_app LOGIN PASSWORD '<the password in DATABASE_URL>'",
    );
    const app = await startTestApp({ databaseUrls: urls(APP_PASSWORD) });
    try {
      expect(app.output()).toContain("connected as rollgate_app");
      const { rows } = await server.sql(`SELECT has_table_privilege('rollgate_app', 'flags', 'INSERT') AS ok`, "plain");
      expect(rows[0].ok).toBe(true);
    } finally {
      await app.stop();
    }
  });

  it("the owner as the app's own connection serves, but warns that it could alter the schema and the audit log", async () => {
    // The database "plain" is migrated by now (above); its owner alone, as an operator who skipped the roles would set it.
    const owner = server.url("plain_owner", "plain-secret", "plain");
    const app = await startTestApp({ databaseUrls: { app: owner, migration: owner } });
    try {
      expect(app.output()).toContain("connected as plain_owner");
      expect(app.output()).toContain(
        "WARNING: the app connects as plain_owner, the owner of its tables: set DATABASE_URL to the rollgate_app role (start-up creates it) and DATABASE_MIGRATION_URL to the owner (README, Database roles)",
      );
      expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    } finally {
      await app.stop();
    }
  });

  it("db:migrate and audit:verify take the same environment and fail with one line", () => {
    const anchors = mkdtempSync(path.join(scratchRoot(), "rollgate-one-pass-verify-"));
    const env = (app: string, migration: string) => ({
      ...process.env,
      DATABASE_URL: app,
      DATABASE_MIGRATION_URL: migration,
      ROLLGATE_DATA_DIR: anchors,
    });
    const run = ([script, ...args]: [CliScript, ...string[]], e: NodeJS.ProcessEnv) => runCli(script, args, { env: e });
    const right = env(server.url("rollgate_app", APP_PASSWORD, "rollgate"), server.url("rollgate_owner", "owner-secret", "rollgate"));
    const migrated = run(["db", "migrate"], right);
    expect(migrated.status, migrated.stderr).toBe(0);
    const verified = run(["audit-verify"], right);
    expect(verified.status, verified.stderr + verified.stdout).toBe(0);

    const appOnly = { ...right, DATABASE_MIGRATION_URL: "" };
    const refused = run(["db", "migrate"], appOnly);
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim()).toBe(
      "db:migrate: DATABASE_URL connects as rollgate_app, which may not migrate: set DATABASE_MIGRATION_URL to the owner of Rollgate's tables as well (README, Database roles)",
    );
    const wrong = run(["audit-verify"], { ...right, DATABASE_URL: server.url("rollgate_app", "wrong", "rollgate") });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr.trim().split("\n")).toHaveLength(1);
    expect(wrong.stderr).toContain('audit:verify could not run: DATABASE_URL: password authentication failed for user "rollgate_app"');
    rmSync(anchors, { recursive: true, force: true });
  });
});

describe("one pass on a database with Supabase's roles and grants", () => {
  let server: Server;
  beforeAll(async () => {
    server = await freshServer("supabase");
    // As on Supabase: the API roles exist, `postgres` may create roles but is no superuser and owns the
    // database, and whatever it creates in `public` is granted to the API roles by default.
    await server.sql(`CREATE ROLE anon NOLOGIN NOINHERIT`);
    await server.sql(`CREATE ROLE authenticated NOLOGIN NOINHERIT`);
    await server.sql(`CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS`);
    await server.sql(`CREATE ROLE postgres LOGIN CREATEROLE CREATEDB NOSUPERUSER PASSWORD 'supabase-owner'`);
    await server.sql(`CREATE DATABASE supabase OWNER postgres`);
    for (const kind of ["TABLES", "SEQUENCES", "FUNCTIONS"]) {
      await server.sql(
        `ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON ${kind} TO anon, authenticated, service_role`,
        "supabase",
      );
    }
    await server.sql(`GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role`, "supabase");
  });
  afterAll(async () => {
    await server?.postgres.stop();
    if (server) await rm(server.dataDir, { recursive: true, force: true });
  });

  it("serves in one pass as rollgate_app; the first admin signs in; a second instance sees a change; anon sees nothing", async () => {
    await deploysInOnePass(server, "supabase", { name: "postgres", password: "supabase-owner" });
    const client = new pg.Client({ connectionString: databaseUrl(server.postgres.serverUrl, "supabase") });
    await client.connect();
    try {
      await client.query("SET ROLE anon");
      await expect(client.query("SELECT * FROM users")).rejects.toThrow(/permission denied for table users/);
      await client.query("RESET ROLE");
      const { rows } = await client.query(`SELECT rolsuper, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = 'rollgate_app'`);
      expect(rows[0]).toEqual({ rolsuper: false, rolcreaterole: false, rolcanlogin: true });
    } finally {
      await client.end();
    }
  });
});
