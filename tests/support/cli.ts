// `npm run audit:verify` and `npm run user:create` as the tests run them: the same scripts, bundled
// once per run by the global setup (tests/support/server-bundle.ts) instead of loaded through tsx.
import { spawn, spawnSync, type SpawnOptionsWithoutStdio, type SpawnSyncOptionsWithStringEncoding } from "node:child_process";
import { inject } from "vitest";
import type { CliScript } from "./server-bundle";

/** The node arguments that run scripts/<name>.ts. */
export function cliArgs(name: CliScript, args: readonly string[] = []): string[] {
  return [inject("cliEntries")[name], ...args];
}

/** Runs the script to the end, like spawnSync. */
export function runCli(name: CliScript, args: readonly string[], options: Omit<SpawnSyncOptionsWithStringEncoding, "encoding">) {
  return spawnSync(process.execPath, cliArgs(name, args), { ...options, encoding: "utf8" });
}

/** Starts the script, like spawn. */
export function spawnCli(name: CliScript, args: readonly string[], options: SpawnOptionsWithoutStdio) {
  return spawn(process.execPath, cliArgs(name, args), options);
}
