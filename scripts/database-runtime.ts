import { loadConfig } from "../lib/config";
import { openDatabase, type DatabaseRuntime, type OpenOptions } from "../lib/db/runtime";

/**
 * For one-shot scripts: resolve the database (embedded or DATABASE_URL), run, shut down. `url` is
 * the app's connection, `migrationUrl` the owner's (DATABASE_MIGRATION_URL, defaulting to DATABASE_URL).
 */
export async function withDatabase(
  run: (runtime: DatabaseRuntime) => Promise<void>,
  options: Pick<OpenOptions, "shareRunning"> & { notice?: (line: string) => void } = {},
): Promise<void> {
  const runtime = await openDatabase(loadConfig(), undefined, options.notice, options);
  try {
    await run(runtime);
  } finally {
    await runtime.stop();
  }
}
