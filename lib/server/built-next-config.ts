import { readFileSync } from "node:fs";
import path from "node:path";

/** Whether the server loads every page when it starts: ROLLGATE_PRELOAD_PAGES, read when it starts. */
export function preloadPagesOnStart(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.ROLLGATE_PRELOAD_PAGES !== "0";
}

/**
 * The Next.js configuration the production build recorded (.next/required-server-files.json), with
 * the settings that belong to the start rather than the build taken from `env`: the recorded ones are
 * the build machine's. Null without a build.
 */
export function builtNextConfig(dir: string, env: Readonly<Record<string, string | undefined>>): Record<string, unknown> | null {
  let config: Record<string, unknown> & { experimental?: Record<string, unknown> };
  try {
    ({ config } = JSON.parse(readFileSync(path.join(dir, ".next", "required-server-files.json"), "utf8")) as { config: typeof config });
  } catch {
    return null; // no build (yet): nothing recorded to reuse
  }
  return { ...config, experimental: { ...config.experimental, preloadEntriesOnStart: preloadPagesOnStart(env) } };
}
