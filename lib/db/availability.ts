import { AsyncLocalStorage } from "node:async_hooks";
import { DATABASE_UNAVAILABLE_DIGEST } from "../errors";
import { sqlStateOf } from "./db-errors";

/**
 * "The database is not there right now" as opposed to "this request is wrong" or "the code is
 * broken": the dashboard and the management API answer these with 503 and `Retry-After` instead of a
 * 500, while the data plane keeps answering from memory.
 *
 * SQLSTATE class 08 (connection exception), 57P01 admin shutdown, 57P02 crash shutdown, 57P03
 * cannot connect now (starting up, shutting down, recovering), 57P05 idle session timeout, 53300 too
 * many connections; and the bounded waits of lib/db/bounded-pool.ts: 57014 (statement_timeout: the
 * server cancelled a statement that ran past the bound), 25P03 (idle_in_transaction_session_timeout),
 * 55P03 (lock_timeout, should an operator set one), and the client's own "did not answer" timeout.
 * A timeout is "not available now, try again", never a bug: 503, not 500.
 */
const UNAVAILABLE_STATES = /^(08[0-9A-Z]{3}|57P0[1235]|53300|57014|25P03|55P03)$/;
// @prisma/adapter-pg's classification of socket errors (DriverAdapterError cause.kind).
const UNAVAILABLE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);
// Prisma's own: can't reach, timed out, server closed the connection, pool timeout; and ours
// (DatabaseTimeoutError, whose code Prisma copies onto the error it throws).
const PRISMA_CODES = new Set(["P1001", "P1002", "P1017", "P2024", "ROLLGATE_DATABASE_TIMEOUT"]);
// node-postgres reports a dropped socket, a connect timeout and a pool wait with a plain Error and no
// code; Prisma a transaction that could not start within maxWait (P2028, which also covers misuse of
// a closed transaction: hence the message, not the code).
const MESSAGES =
  /Connection terminated|Can't reach database server|timeout exceeded when trying to connect|server closed the connection unexpectedly|the database did not answer within|Query read timeout|Unable to start a transaction in the given time/i;

export const RETRY_AFTER_SECONDS = 5;

/** One line for the log: an outage fails every request, and a stack trace each says nothing new. */
export function unavailableSummary(err: unknown): string {
  // A DatabaseUnavailableError only wraps what happened: say that.
  const inner = err instanceof DatabaseUnavailableError && err.cause !== undefined ? err.cause : err;
  const message = inner instanceof Error ? inner.message : String(inner);
  const lines = message.split("\n").map((l) => l.trim());
  const last = lines.filter(Boolean).at(-1) ?? "unknown";
  return last.length > 200 ? `${last.slice(0, 199)}…` : last;
}

/** Carries the digest Next.js hands to error boundaries, so the page can tell an outage from a bug. */
export class DatabaseUnavailableError extends Error {
  readonly digest = DATABASE_UNAVAILABLE_DIGEST;
  constructor(cause?: unknown) {
    super("The database is unavailable", { cause });
    this.name = "DatabaseUnavailableError";
  }
}

export function isDatabaseUnavailableError(err: unknown): boolean {
  const state = sqlStateOf(err);
  if (state !== undefined && UNAVAILABLE_STATES.test(state)) return true;
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    if (current instanceof DatabaseUnavailableError) return true;
    const e = current as { code?: unknown; kind?: unknown; message?: unknown; meta?: { driverAdapterError?: unknown }; cause?: unknown };
    if (typeof e.kind === "string" && UNAVAILABLE_KINDS.has(e.kind)) return true;
    if (typeof e.code === "string" && (SOCKET_CODES.has(e.code) || PRISMA_CODES.has(e.code))) return true;
    if (typeof e.message === "string" && MESSAGES.test(e.message)) return true;
    current = e.meta?.driverAdapterError ?? e.cause;
  }
  return false;
}

/**
 * Per-request record of whether the database failed it, so the HTTP server can turn the response
 * Next.js renders for it (500, or an error boundary) into a 503 with `Retry-After`. Next bundles its
 * own copy of this module, so the store lives on globalThis where both copies find it.
 */
export interface RequestState {
  databaseUnavailable: boolean;
  /** The first such failure in one line (unavailableSummary), for the server's outage log. */
  reason?: string;
  /** The request's id in the log (lib/log/logger.ts). */
  requestId?: string;
}
const KEY = Symbol.for("rollgate.databaseRequestScope");
const holder = globalThis as unknown as { [KEY]?: AsyncLocalStorage<RequestState> };
const scope = (holder[KEY] ??= new AsyncLocalStorage<RequestState>());

export function runWithDatabaseScope<T>(fn: (state: RequestState) => T): T {
  const state: RequestState = { databaseUnavailable: false };
  return scope.run(state, () => fn(state));
}

/** The id of the request being served (through Next.js), for a line logged on its behalf. */
export function currentRequestId(): string | undefined {
  return scope.getStore()?.requestId;
}

/**
 * Marks the current request (if any) as failed by the database, with `err` as the reason. False when
 * there is no request to mark (a worker, a data-plane route): the caller then reports it itself.
 */
export function noteDatabaseUnavailable(err?: unknown): boolean {
  const state = scope.getStore();
  if (!state) return false;
  state.databaseUnavailable = true;
  if (err !== undefined) state.reason ??= unavailableSummary(err);
  return true;
}

/** Rethrows `err`, as a DatabaseUnavailableError (noted on the request) when the database is down. */
export function rethrowUnavailable(err: unknown): never {
  if (isDatabaseUnavailableError(err)) {
    noteDatabaseUnavailable(err);
    throw err instanceof DatabaseUnavailableError ? err : new DatabaseUnavailableError(err);
  }
  throw err;
}
