import path from "node:path";
import pg from "pg";
import type { Config } from "../config";
import { databaseUrl, startEmbeddedPostgres } from "./embedded-postgres";

export interface DatabaseRuntime {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

/** With DATABASE_URL, use it as is; otherwise boot the embedded PostgreSQL under the data dir. */
export async function openDatabase(config: Config, log: (line: string) => void = () => {}): Promise<DatabaseRuntime> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, embedded: false, stop: async () => {} };
  const server = await startEmbeddedPostgres({
    dataDir: path.join(config.dataDir, "postgres"),
    port: config.ROLLGATE_PG_PORT,
    log,
  });
  try {
    await ensureDatabase(server.serverUrl, "rollgate");
  } catch (err) {
    await server.stop();
    throw err;
  }
  return { url: databaseUrl(server.serverUrl, "rollgate"), embedded: true, stop: () => server.stop() };
}
