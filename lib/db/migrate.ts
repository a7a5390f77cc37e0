import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import pg from "pg";
import { projectRoot } from "../project-root";

export const MIGRATIONS_DIR = path.join(projectRoot(), "supabase", "migrations");

function dbmateBinary(): string {
  const require = createRequire(import.meta.url);
  return require.resolve(`@dbmate/${process.platform}-${process.arch}/bin/dbmate`);
}

/** Runs dbmate (`up`, `migrate`, `rollback`, `status`, …) against `url` and resolves with its output. */
export function runDbmate(url: string, args: string[]): Promise<string> {
  const withSsl = new URL(url);
  if (!withSsl.searchParams.has("sslmode")) withSsl.searchParams.set("sslmode", "disable");
  return new Promise((resolve, reject) => {
    const child = spawn(dbmateBinary(), ["--url", withSsl.toString(), "--migrations-dir", MIGRATIONS_DIR, "--no-dump-schema", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new DbmateError(args, code, out))));
  });
}

/** One line (dbmate's own `Error: …`, which names the migration's SQL error); the whole output kept beside it. */
export class DbmateError extends Error {
  constructor(
    args: string[],
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    const lines = output
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    const why = lines.find((l) => l.startsWith("Error:")) ?? lines.at(-1) ?? `exit code ${exitCode}`;
    super(`dbmate ${args.join(" ")} failed: ${why.replace(/^Error:\s*/, "")}`);
    this.name = "DbmateError";
  }
}

/** The versions of the migration files, oldest first: what dbmate records in schema_migrations. */
export function migrationVersions(dir = MIGRATIONS_DIR): string[] {
  return readdirSync(dir)
    .filter((name) => /^\d+_.+\.sql$/.test(name))
    .map((name) => name.slice(0, name.indexOf("_")))
    .sort();
}

/**
 * The migrations `url`'s database has not applied, or null when that cannot be told (no database yet,
 * no schema_migrations table, no connection): dbmate then decides, and says why when it cannot.
 */
async function pendingMigrations(url: string, session?: pg.Client): Promise<string[] | null> {
  const client = session ?? new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    if (!session) await client.connect();
    // Unqualified, as dbmate names it: the table in the search path's schema.
    const { rows } = await client.query<{ version: string }>("SELECT version FROM schema_migrations");
    const applied = new Set(rows.map((row) => row.version));
    return migrationVersions().filter((version) => !applied.has(version));
  } catch {
    return null;
  } finally {
    if (!session) await client.end().catch(() => {});
  }
}

/**
 * Applies pending migrations. dbmate runs only when some are pending (or when that cannot be told):
 * it is a process of its own that connects three times, 50 ms of CPU and 45 ms on every start
 * otherwise, where a database that is up to date is the usual case. `session`, when given, is a
 * connection to `url` (as its user) to ask on.
 */
export async function migrateUp(url: string, session?: pg.Client): Promise<string> {
  if ((await pendingMigrations(url, session))?.length === 0) return "";
  return runDbmate(url, ["up"]);
}
export const rollbackOne = (url: string) => runDbmate(url, ["rollback"]);
