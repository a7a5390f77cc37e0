import { loadConfig } from "../lib/config";
import { isDatabaseUnavailableError, unavailableSummary } from "../lib/db/availability";
import { connectOrExplain, DeploymentError } from "../lib/db/connection-failure";
import { checkOwner } from "../lib/db/external-database";
import { openDatabase, type DatabaseRuntime, type OpenOptions } from "../lib/db/runtime";

/**
 * For one-shot scripts: resolve the database (embedded or DATABASE_URL), run, shut down. `url` is
 * the app's connection, `migrationUrl` the owner's (DATABASE_MIGRATION_URL, defaulting to DATABASE_URL).
 * `as` says which of the two the script uses: with DATABASE_URL it is checked first, so a wrong
 * password, a missing database or an unreachable host stops the script with the same one line as
 * `npm start` (a DeploymentError; see oneLineReason).
 */
export async function withDatabase(
  run: (runtime: DatabaseRuntime) => Promise<void>,
  options: Pick<OpenOptions, "shareRunning"> & { notice?: (line: string) => void; as: "owner" | "app" },
): Promise<void> {
  const runtime = await openDatabase(loadConfig(), undefined, options.notice, options);
  try {
    if (!runtime.embedded) {
      if (options.as === "owner") await checkOwner({ appUrl: runtime.url, ownerUrl: runtime.migrationUrl });
      else await (await connectOrExplain(runtime.url, "DATABASE_URL")).end();
    }
    await run(runtime);
  } finally {
    await runtime.stop();
  }
}

/** Why a script could not run, in one line: configuration and connection failures say what to fix. */
export function oneLineReason(err: unknown): string {
  if (err instanceof DeploymentError) return err.message;
  if (isDatabaseUnavailableError(err)) return `the database is unavailable (${unavailableSummary(err)})`;
  const message = err instanceof Error ? err.message : String(err);
  // A configuration mistake lists one variable per line: joined, it stays one line.
  return message
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .join(" ");
}
