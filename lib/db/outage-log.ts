import { isDatabaseUnavailableError, noteDatabaseUnavailable, unavailableSummary } from "./availability";
import { rollgateMetrics } from "../server/metrics/rollgate-metrics";
import { logger } from "../log/logger";

/**
 * During an outage every request and every worker pass fails the same way, and a line (or a
 * 17-line stack trace) for each buried the log: 1,518 lines in 40 s. Each kind of failure is told
 * once when it starts, then at most once per window with a count:
 *
 *   [rollgate] database unavailable: GET /flags answered 503 (connect ECONNREFUSED 127.0.0.1:54329)
 *   [rollgate] database unavailable: 37 requests answered 503 in the last 10 s (connect ECONNREFUSED 127.0.0.1:54329)
 *
 * A window without any ends the run, so the next failure is told at once again. The state lives on
 * globalThis: Next's route handlers load their own copy of this module, and one count serves both.
 */
export const OUTAGE_WINDOW_MS = 10_000;

/** A kind of failure: "request answered 503" / "requests answered 503". */
export interface FailureKind {
  one: string;
  many: string;
}

export const REQUESTS_ANSWERED_503: FailureKind = { one: "request answered 503", many: "requests answered 503" };
/** Errors Next.js would have logged with their stack, outside any request we could answer 503. */
export const SERVER_ERRORS: FailureKind = { one: "server error", many: "server errors" };

type Write = (line: string) => void;
const databaseLog = logger("database");
const stderr: Write = (line) => databaseLog.warn(line);

interface Run {
  count: number;
  timer: NodeJS.Timeout;
}
const RUNS = Symbol.for("rollgate.outageLogRuns");
const CONSOLE = Symbol.for("rollgate.outageLogConsole");
const holder = globalThis as unknown as { [RUNS]?: Map<string, Run>; [CONSOLE]?: boolean };
const runs = (holder[RUNS] ??= new Map<string, Run>());

/**
 * Writes `first` unless a run of `key` is under way; repeats within the window are counted and
 * written as one `summary(count)` line when it ends.
 */
export function reportRepeated(key: string, first: string, summary: (count: number) => string, write: Write = stderr): void {
  const run = runs.get(key);
  if (run) {
    run.count++;
    return;
  }
  write(first);
  const close = (): void => {
    const current = runs.get(key);
    if (!current) return;
    if (current.count === 0) {
      runs.delete(key);
      return;
    }
    write(summary(current.count));
    current.count = 0;
    current.timer = setTimeout(close, OUTAGE_WINDOW_MS).unref();
  };
  runs.set(key, { count: 0, timer: setTimeout(close, OUTAGE_WINDOW_MS).unref() });
}

/**
 * One failure of `kind` because the database is unavailable. `err` is the error or its one-line
 * summary; `first` says what failed when this starts a run (e.g. "GET /flags answered 503").
 */
export function reportDatabaseUnavailable(kind: FailureKind, err: unknown, options: { first?: string; write?: Write } = {}): void {
  const reason = typeof err === "string" ? err : unavailableSummary(err);
  // Every failure counts, not only the lines written: a rate shows how bad the outage is.
  rollgateMetrics().databaseUnavailable.labels({ kind: kind.many }).inc();
  const seconds = OUTAGE_WINDOW_MS / 1000;
  reportRepeated(
    `database unavailable|${kind.many}|${reason}`,
    `database unavailable: ${options.first ?? kind.one} (${reason})`,
    (n) => `database unavailable: ${n} ${n === 1 ? kind.one : kind.many} in the last ${seconds} s (${reason})`,
    options.write,
  );
}

/**
 * For workers: a failure because the database is unavailable joins its kind's run (one line per
 * window); anything else is logged as `message`, as before.
 */
export function logFailure(log: Write | undefined, kind: FailureKind, err: unknown, message: string): void {
  if (isDatabaseUnavailableError(err)) reportDatabaseUnavailable(kind, err, log ? { write: log } : {});
  else log?.(message);
}

/** A line that repeats (PostgreSQL's FATAL for every refused connection while it recovers). */
export function reportRepeatedLine(line: string, write: Write): void {
  const seconds = OUTAGE_WINDOW_MS / 1000;
  reportRepeated(`line|${line}`, line, (n) => `${line} (${n} more in the last ${seconds} s)`, write);
}

// The one-line form lib/server/data-plane/http-utils.ts logs for each write it answers 503.
const DATA_PLANE_LINE = /^database unavailable: (.+?): (.+)$/s;

/**
 * Next.js logs every error a page or server action throws with `console.error(err)`, stack and all;
 * the data plane logs one line per 503. When that error is the database being unavailable, the
 * request is answered 503 and counted in its run instead (lib/server/app-server.ts), so the log
 * says it once. Everything else is logged as before. Installed once per process.
 */
export function quietDatabaseOutagesOnConsole(): void {
  if (holder[CONSOLE]) return;
  holder[CONSOLE] = true;
  const original = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    const err = args.find((a) => a !== null && typeof a === "object" && isDatabaseUnavailableError(a));
    if (err !== undefined) {
      if (!noteDatabaseUnavailable(err)) reportDatabaseUnavailable(SERVER_ERRORS, err);
      return;
    }
    const line = args.length === 1 && typeof args[0] === "string" ? DATA_PLANE_LINE.exec(args[0]) : null;
    if (line) {
      reportDatabaseUnavailable(REQUESTS_ANSWERED_503, line[2]!, { first: `${line[1]} answered 503` });
      return;
    }
    original(...args);
  };
}
