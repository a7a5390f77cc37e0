import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
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

export const migrateUp = (url: string) => runDbmate(url, ["up"]);
export const rollbackOne = (url: string) => runDbmate(url, ["rollback"]);
