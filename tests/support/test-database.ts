import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { createDb, type Db } from "../../lib/db/client";
import { databaseUrl } from "../../lib/db/embedded-postgres";
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

/** A fresh database cloned from the migrated template: empty apart from what migrations create. */
export async function createTestDatabase(options: { template?: string } = {}): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString("hex")}`;
  const template = options.template ?? "rollgate_template";
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template}`);
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
  for (let attempt = 0; attempt < 30; attempt++) {
    try {
      await adminQuery(`DROP DATABASE IF EXISTS ${name}`);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== "55006") throw err; // object_in_use: someone still connected
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
