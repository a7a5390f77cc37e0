import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { createDb, type Db } from "../../lib/db/client";
import { databaseUrl } from "../../lib/db/embedded-postgres";
import { seedDemo } from "../../lib/demo/seed-demo";
import { asAppRole } from "./app-role";

export interface TestDatabase {
  name: string;
  /** As the owner (a superuser here): migrations, fixtures, assertions. */
  url: string;
  /** As the least-privileged rollgate_app role, which the test apps connect as. */
  appUrl: string;
  db: Db;
  /** A raw connection for assertions the app itself never makes (superuser edits, catalog queries). */
  sql(text: string, params?: unknown[]): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

// One session per worker for CREATE and DROP DATABASE (files in a worker share loaded modules): a
// connection of their own each cost PostgreSQL a backend start, ~8 ms of CPU, ~250 times a run.
let admin: pg.Pool | undefined;

export async function adminQuery(text: string): Promise<void> {
  if (!admin) {
    admin = new pg.Pool({ connectionString: inject("pgServerUrl"), max: 1, idleTimeoutMillis: 0, allowExitOnIdle: true });
    // A session that dies while idle (a test that terminates backends) is replaced at the next query.
    admin.on("error", () => {});
  }
  await admin.query(text);
}

const TEMPLATE = "rollgate_template";
const DEMO_TEMPLATE = "rollgate_demo_template";

/** The password of the demo users (lib/demo/seed-demo.ts) in a database created with `demo: true`. */
export const DEMO_TEST_PASSWORD = "demo-test-password";

export interface TestDatabaseOptions {
  /** Clone this database instead of the migrated template. */
  template?: string;
  /** Start from the demo data, its users' password DEMO_TEST_PASSWORD. */
  demo?: boolean;
}

/**
 * A fresh database cloned from the migrated template: empty apart from what migrations create, or
 * with the demo data when asked.
 */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString("hex")}`;
  const template = options.template ?? (options.demo ? await demoTemplate() : TEMPLATE);
  await whileInUse(() => adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  const url = databaseUrl(inject("pgServerUrl"), name);
  const db = createDb(url, { max: 30 });
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  return {
    name,
    url,
    appUrl: asAppRole(url),
    db,
    sql: (text, params) => pool.query(text, params as unknown[]),
    async drop() {
      await db.$disconnect();
      await pool.end();
      await dropDatabase(name);
    },
  };
}

let demoTemplateMade: Promise<string> | undefined;

/**
 * The migrated template with the demo data seeded once per run, for the files that start from it:
 * seeding takes ~2 CPU-seconds (a password hash, five users, flags, a rollout and hours of rollups,
 * each with its audit entry), a clone a tenth of that. Made by whichever worker asks first, while
 * the others wait on an advisory lock; under another name until it is whole.
 */
function demoTemplate(): Promise<string> {
  demoTemplateMade ??= makeDemoTemplate().catch((err: unknown) => {
    demoTemplateMade = undefined;
    throw err;
  });
  return demoTemplateMade;
}

async function makeDemoTemplate(): Promise<string> {
  const lock = new pg.Client({ connectionString: inject("pgServerUrl") });
  await lock.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock(hashtext($1))`, [DEMO_TEMPLATE]);
    const made = await lock.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [DEMO_TEMPLATE]);
    if (made.rowCount === 0) {
      const draft = `${DEMO_TEMPLATE}_draft`;
      await lock.query(`DROP DATABASE IF EXISTS ${draft}`);
      await lock.query(`CREATE DATABASE ${draft} TEMPLATE ${TEMPLATE}`);
      const db = createDb(databaseUrl(inject("pgServerUrl"), draft), { max: 2 });
      try {
        await seedDemo(db, DEMO_TEST_PASSWORD);
      } finally {
        await db.$disconnect();
      }
      await whileInUse(() => lock.query(`ALTER DATABASE ${draft} RENAME TO ${DEMO_TEMPLATE}`));
    }
  } finally {
    await lock.end(); // and with the session, the lock
  }
  return DEMO_TEMPLATE;
}

/**
 * Runs a statement that needs a database nobody is connected to, again while a closing connection
 * is still on its way out (55006, object_in_use: a client's goodbye reaches PostgreSQL after its
 * close resolved).
 */
async function whileInUse<T>(statement: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await statement();
    } catch (err) {
      if ((err as { code?: string }).code !== "55006" || attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** An empty database with no migrations applied (for migration tests). */
export async function createEmptyDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `e_${randomBytes(6).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  return {
    name,
    url: databaseUrl(inject("pgServerUrl"), name),
    drop: () => dropDatabase(name),
  };
}

/**
 * Drops a test database, waiting for closing connections to finish first: forcing them off while a
 * client is still saying goodbye makes that client emit an unhandled 57P01 error in the test process.
 * Force only as the last resort (a server process of a test that never stopped).
 */
async function dropDatabase(name: string): Promise<void> {
  try {
    await whileInUse(() => adminQuery(`DROP DATABASE IF EXISTS ${name}`));
  } catch (err) {
    if ((err as { code?: string }).code !== "55006") throw err;
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
