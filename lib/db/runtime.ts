import path from "node:path";
import pg from "pg";
import type { Config } from "../config";
import { databaseUrl, embeddedServerUrl, startEmbeddedPostgres, type SuperviseOptions } from "./embedded-postgres";
import { runningPostmaster } from "./postmaster-recovery";

export interface DatabaseRuntime {
  /** What the app connects as (for the embedded database, the owner until start-up prepares the app role). */
  url: string;
  /** The owner: migrations and the start-up lock. */
  migrationUrl: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

export interface OpenOptions {
  /** Restart the embedded PostgreSQL when it exits unexpectedly (the server). */
  supervise?: SuperviseOptions;
  /**
   * One-shot scripts: when a live Rollgate already runs the embedded PostgreSQL on this data dir, use
   * that server (its port from postmaster.pid, the owner's credentials) instead of failing to start a
   * second one on the same directory; it is left running afterwards.
   */
  shareRunning?: boolean;
}

/** With DATABASE_URL, use it as is; otherwise boot the embedded PostgreSQL under the data dir. */
export async function openDatabase(
  config: Config,
  log: (line: string) => void = () => {},
  notice: (line: string) => void = log,
  options: OpenOptions = {},
): Promise<DatabaseRuntime> {
  if (config.DATABASE_URL) {
    return {
      url: config.DATABASE_URL,
      migrationUrl: config.DATABASE_MIGRATION_URL ?? config.DATABASE_URL,
      embedded: false,
      stop: async () => {},
    };
  }
  const dataDir = path.join(config.dataDir, "postgres");
  const running = options.shareRunning ? runningPostmaster(dataDir) : null;
  if (running) {
    notice(`using the PostgreSQL already running on ${dataDir} (PID ${running.pid}, port ${running.port})`);
    const url = databaseUrl(embeddedServerUrl(running.port, running.host), "rollgate");
    return { url, migrationUrl: url, embedded: true, stop: async () => {} };
  }
  const server = await startEmbeddedPostgres({
    dataDir,
    port: config.ROLLGATE_PG_PORT,
    log,
    notice,
    unsafeNoFsync: config.ROLLGATE_PG_UNSAFE_NO_FSYNC === "1",
    supervise: options.supervise,
  });
  try {
    await ensureDatabase(server.serverUrl, "rollgate");
  } catch (err) {
    await server.stop();
    throw err;
  }
  const url = databaseUrl(server.serverUrl, "rollgate");
  return { url, migrationUrl: url, embedded: true, stop: () => server.stop() };
}
