import { loadConfig } from "../lib/config";
import { openDatabase, type DatabaseRuntime } from "../lib/db/runtime";

/**
 * For one-shot scripts: resolve the database (embedded or DATABASE_URL), run, shut down. `url` is
 * the app's connection, `migrationUrl` the owner's (DATABASE_MIGRATION_URL, defaulting to DATABASE_URL).
 */
export async function withDatabase(run: (runtime: DatabaseRuntime) => Promise<void>): Promise<void> {
  const runtime = await openDatabase(loadConfig());
  try {
    await run(runtime);
  } finally {
    await runtime.stop();
  }
}
