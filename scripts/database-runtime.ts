import { loadConfig } from "../lib/config";
import { openDatabase } from "../lib/db/runtime";

/** For one-shot scripts: resolve the database (embedded or DATABASE_URL), run, shut down. */
export async function withDatabase(run: (url: string) => Promise<void>): Promise<void> {
  const runtime = await openDatabase(loadConfig());
  try {
    await run(runtime.url);
  } finally {
    await runtime.stop();
  }
}
