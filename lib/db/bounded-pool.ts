import pg from "pg";

/**
 * How long the app waits for PostgreSQL before it calls the database unavailable (a 503 with
 * Retry-After for a request, a skipped pass for a worker). node-postgres waits forever by default:
 * with every PostgreSQL process frozen (SIGSTOP, a hung host, a black-holed network) nothing ever
 * fails, so requests hung for as long as the freeze lasted.
 *
 * Three bounds, because a frozen server can only be noticed from this side:
 * - `connectMs`: opening a connection, and waiting for a free one when the pool is full (node-postgres
 *   uses one setting for both).
 * - `statementMs`: PostgreSQL's own `statement_timeout`. A statement that runs longer is cancelled by
 *   the server (SQLSTATE 57014) and the connection stays usable: this is what stops a slow statement.
 * - the answer bound, `statementMs` + ANSWER_GRACE_MS, kept by the client: a server that does not even
 *   cancel in time is not answering at all (frozen, gone, cut off). The connection is then destroyed,
 *   since it is in an unknown state, and the statement fails with DatabaseTimeoutError. A frozen server
 *   cannot run its own timers, so only this bound ends the wait there.
 * Plus `idle_in_transaction_session_timeout`, so a transaction left open by an instance that froze
 * or lost its network cannot hold row locks (and with them every writer of that flag) forever.
 */
export interface DatabaseLimits {
  connectMs: number;
  statementMs: number;
  idleInTransactionMs: number;
  /**
   * How long a pooled connection nobody uses stays open (node-postgres's 10 s when absent). A page
   * fans out into many queries at once (the overview: its lists side by side, a rollout list's reads
   * too), so the pool grows to a dozen connections; closing them after 10 s quiet made the next visit
   * open them all again, a backend and a SCRAM exchange each: on the demo, the overview after 11 s of
   * quiet took 84–108 ms (medians of four runs) with node-postgres's 10 s, 52–65 ms with 5 min (README).
   */
  idleMs?: number;
}

/** After the statement bound, how long the server has to deliver its cancellation before we give up on it. */
export const ANSWER_GRACE_MS = 500;

/**
 * Requests (management API, pages, server actions, event ingestion) and the short periodic workers.
 * A request that meets a frozen database answers 503 within the answer bound (3 s) of its first
 * unanswered statement, and at most connectMs + answer bound (5 s) when it first had to wait for a
 * connection from a full pool. No statement on a request path legitimately runs for seconds; the
 * known long ones raise their own limit for their transaction (allowLongStatements).
 */
export const DEFAULT_INTERACTIVE_LIMITS: DatabaseLimits = {
  connectMs: 2000,
  statementMs: 2500,
  idleInTransactionMs: 60_000,
  idleMs: 300_000,
};

/**
 * The interactive limits, with ROLLGATE_DB_CONNECT_TIMEOUT_MS, ROLLGATE_DB_STATEMENT_TIMEOUT_MS and
 * ROLLGATE_DB_IDLE_TIMEOUT_MS when set (lib/config.ts refuses values out of range at start-up; here
 * they fall back to the default). The first two for hosts whose database is far or slow to fork a
 * backend, and for test machines under heavy load; the last for databases short of connections.
 */
export function interactiveLimits(env: NodeJS.ProcessEnv = process.env): DatabaseLimits {
  const ms = (value: string | undefined, min: number, max: number, fallback: number) => {
    const n = Number(value);
    return value && Number.isInteger(n) && n >= min && n <= max ? n : fallback;
  };
  return {
    connectMs: ms(env.ROLLGATE_DB_CONNECT_TIMEOUT_MS, 100, 60_000, DEFAULT_INTERACTIVE_LIMITS.connectMs),
    statementMs: ms(env.ROLLGATE_DB_STATEMENT_TIMEOUT_MS, 100, 300_000, DEFAULT_INTERACTIVE_LIMITS.statementMs),
    idleInTransactionMs: DEFAULT_INTERACTIVE_LIMITS.idleInTransactionMs,
    idleMs: ms(env.ROLLGATE_DB_IDLE_TIMEOUT_MS, 1000, 3_600_000, DEFAULT_INTERACTIVE_LIMITS.idleMs!),
  };
}

export const INTERACTIVE_LIMITS: DatabaseLimits = interactiveLimits();

/**
 * Housekeeping that legitimately runs long statements (retention's bulk deletes and partition DDL,
 * audit verification): nobody is waiting on an answer, so a statement may run as long as its
 * transaction may (retention's is 5 min). Its own small pool, so it never takes connections from requests.
 */
export const MAINTENANCE_LIMITS: DatabaseLimits = { connectMs: 10_000, statementMs: 300_000, idleInTransactionMs: 60_000 };

/** Thrown (as the failed statement's error) when the server did not answer within the answer bound. */
export class DatabaseTimeoutError extends Error {
  readonly code = "ROLLGATE_DATABASE_TIMEOUT";
  constructor(readonly waitedMs: number) {
    super(`the database did not answer within ${waitedMs} ms`);
    this.name = "DatabaseTimeoutError";
  }
}

// The one form allowLongStatements (lib/db/long-statements.ts) sends.
const SET_LOCAL_TIMEOUT = /^\s*SET\s+LOCAL\s+statement_timeout\s*(?:=|TO)\s*'?(\d+)\s*(ms|s|min)?'?\s*;?\s*$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, min: 60_000 };

export interface BoundedOptions {
  limits: DatabaseLimits;
  /**
   * Set statement_timeout and idle_in_transaction_session_timeout on each new connection (default).
   * With `SET` once connected rather than as startup parameters, which PgBouncer and other poolers
   * refuse ("unsupported startup parameter"), so a session pooler as DATABASE_URL keeps working.
   * false for a transaction pooler (DATABASE_POOLED_URL), where a session setting would land on
   * whichever server connection ran it: there the client's answer bound alone stops a slow statement.
   */
  serverSettings?: boolean;
}

type QueryArgs = Parameters<pg.Client["query"]>;

const TICK_MS = 50;
const MAX_TICK_MS = 200;

/**
 * Calls `expire` once `ms` of time in which this process was responsive has passed. A plain timer
 * counts time the event loop was blocked (a heavy first render, a long pause on a loaded host), and a
 * loop that was blocked runs expired timers before it reads the sockets: node-postgres's connect timer
 * ended connections whose server had answered in time, and requests got a 503 from a healthy database.
 * Here the time is counted in 50-ms ticks, each counting at most 200 ms, so a stall counts as 0.2 s
 * however long it was, while a loop that is merely slow (ticks up to 150 ms late, a loaded machine)
 * keeps the bound; and the last look comes after the sockets were read. Returns a cancel function.
 */
export function afterResponsiveMs(ms: number, expire: () => void): () => void {
  let counted = 0;
  let last = performance.now();
  let timer: NodeJS.Timeout | NodeJS.Immediate;
  const tick = () => {
    const now = performance.now();
    counted += Math.min(now - last, MAX_TICK_MS);
    last = now;
    if (counted >= ms) {
      timer = setImmediate(expire);
      return;
    }
    timer = setTimeout(tick, Math.min(TICK_MS, ms - counted)).unref();
  };
  timer = setTimeout(tick, Math.min(TICK_MS, ms)).unref();
  return () => {
    clearTimeout(timer as NodeJS.Timeout);
    clearImmediate(timer as NodeJS.Immediate);
  };
}

function boundedClientClass({ limits, serverSettings = true }: BoundedOptions): typeof pg.Client {
  return class BoundedClient extends pg.Client {
    /** A `SET LOCAL statement_timeout` seen in the current transaction, so the answer bound follows it. */
    private localStatementMs: number | null = null;

    constructor(config?: string | pg.ClientConfig) {
      const base: pg.ClientConfig = typeof config === "string" ? { connectionString: config } : { ...config };
      super({
        ...base,
        // The connect bound is kept below (connectWithin), not by node-postgres's own timer.
        connectionTimeoutMillis: 0,
        // A peer that vanished without a FIN (host down, network cut) is noticed by the kernel.
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
      });
      // pg emits 'error' on a client whose connection broke; the pool, the adapter or the caller handle
      // it where it matters, but a second one (the socket's "end" after our own destroy) must not be an
      // uncaught exception that takes the process down.
      this.on("error", () => {});
      const query = this.query.bind(this) as (...args: QueryArgs) => unknown;
      this.query = ((...args: QueryArgs) => this.boundedQuery(query, args)) as typeof this.query;
      const settings = [
        limits.statementMs ? `SET statement_timeout = ${limits.statementMs}` : "",
        limits.idleInTransactionMs ? `SET idle_in_transaction_session_timeout = ${limits.idleInTransactionMs}` : "",
      ].filter(Boolean);
      const configure = serverSettings && settings.length > 0;
      // Connected means configured: pg-pool hands out the client only after this, within the connect bound.
      const connect = this.connect.bind(this) as () => Promise<unknown>;
      this.connect = ((callback?: (err: Error | null, client?: pg.Client) => void) => {
        const ready = this.connectWithin(() => connect().then(() => (configure ? this.query(settings.join("; ")) : undefined))).then(
          () => this,
        );
        if (!callback) return ready;
        ready.then(
          (client) => callback(null, client),
          (err: Error) => callback(err),
        );
      }) as typeof this.connect;
    }

    /** `connect` within the connect bound, counted in time this process was responsive (afterResponsiveMs). */
    private connectWithin(connect: () => Promise<unknown>): Promise<unknown> {
      let settled = false;
      let timedOut = false;
      const cancel = afterResponsiveMs(limits.connectMs, () => {
        if (settled) return;
        timedOut = true;
        // What node-postgres's own timer does: an ending connection, so its close is not a second error.
        const connection = this.connection as unknown as { _ending: boolean; stream: { destroy(err?: Error): void } };
        connection._ending = true;
        connection.stream.destroy(new Error("timeout expired"));
      });
      const finish = () => {
        settled = true;
        cancel();
      };
      return connect().then(
        (value) => (finish(), value),
        (err: unknown) => {
          finish();
          // The words pg-pool uses for its own timer, which lib/db/availability.ts reads as "unavailable".
          throw timedOut ? new Error("Connection terminated due to connection timeout", { cause: err }) : err;
        },
      );
    }

    private boundedQuery(query: (...args: QueryArgs) => unknown, args: QueryArgs): unknown {
      const config = args[0] as unknown;
      // Submittables (cursors, streams) manage their own lifetime.
      if (config && typeof config === "object" && typeof (config as { submit?: unknown }).submit === "function") return query(...args);
      const text = typeof config === "string" ? config : ((config as { text?: unknown } | null)?.text ?? "");
      // Outside a transaction (status "I", or not yet known) no SET LOCAL is in force any more.
      const status = this.getTransactionStatus();
      if (status !== "T" && status !== "E") this.localStatementMs = null;
      const set = typeof text === "string" ? SET_LOCAL_TIMEOUT.exec(text) : null;
      if (set) this.localStatementMs = Number(set[1]) * UNIT_MS[(set[2] ?? "ms").toLowerCase()]!;
      const statementMs = this.localStatementMs ?? limits.statementMs;
      if (!statementMs) return query(...args);

      const answerMs = statementMs + ANSWER_GRACE_MS;
      let settled = false;
      const timer = setTimeout(() => {
        // An event loop that was blocked runs expired timers before it reads the sockets: look again
        // after the pending I/O, so an answer that did arrive in time is not thrown away.
        setImmediate(() => {
          if (settled) return;
          this.connection.stream.destroy(new DatabaseTimeoutError(answerMs));
        });
      }, answerMs);
      const done = () => {
        settled = true;
        clearTimeout(timer);
      };
      const callbackAt = args.findIndex((a) => typeof a === "function");
      if (callbackAt !== -1) {
        const callback = args[callbackAt] as (...a: unknown[]) => void;
        const wrapped = [...args] as unknown[];
        wrapped[callbackAt] = (...a: unknown[]) => {
          done();
          callback(...a);
        };
        return query(...(wrapped as QueryArgs));
      }
      const result = query(...args);
      if (result && typeof (result as Promise<unknown>).then === "function") (result as Promise<unknown>).then(done, done);
      else done();
      return result;
    }
  };
}

/**
 * pg-pool with the timer for a new connection left to the client's connect bound (connectWithin),
 * since pg-pool's own has the same blind spot. The wait for a free connection in a full pool keeps
 * pg-pool's timer: a released connection is handed over at once, so there no late read can lose it.
 */
class BoundedPool extends pg.Pool {
  newClient(pendingItem: unknown): void {
    // pg-pool reads the setting as it starts the connection; it is back before anything else runs.
    const options = (this as unknown as { options: { connectionTimeoutMillis?: number } }).options;
    const bound = options.connectionTimeoutMillis;
    options.connectionTimeoutMillis = 0;
    try {
      (pg.Pool.prototype as unknown as { newClient(item: unknown): void }).newClient.call(this, pendingItem);
    } finally {
      options.connectionTimeoutMillis = bound;
    }
  }
}

/** A pool whose every wait is bounded (see DatabaseLimits). */
export function createBoundedPool(url: string, options: BoundedOptions & { max: number }): pg.Pool {
  return new BoundedPool({
    connectionString: url,
    max: options.max,
    connectionTimeoutMillis: options.limits.connectMs,
    ...(options.limits.idleMs ? { idleTimeoutMillis: options.limits.idleMs } : {}),
    Client: boundedClientClass(options),
  });
}

/** One bounded connection of its own (LISTEN, advisory-lock sessions). Connect it yourself. */
export function createBoundedClient(url: string | pg.ClientConfig, options: BoundedOptions): pg.Client {
  const Client = boundedClientClass(options);
  return new Client(typeof url === "string" ? { connectionString: url } : url);
}
