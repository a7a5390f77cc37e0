import pg from "pg";

const STARTUP_LOCK = 7346010000;
/** The lock's session as pg_stat_activity names it, so a waiting instance can say who it waits for. */
export const STARTUP_APPLICATION = "rollgate start-up";
/** How often a start-up that waits for the lock says so again. */
const WAIT_NOTICE_MS = 30_000;

/** Who holds the start-up lock, as PostgreSQL knows them, or null when that cannot be told. */
export interface LockHolder {
  pid: number;
  applicationName: string;
  clientAddress: string | null;
  /** Since when the holder's transaction runs, or its connection when it is between transactions. */
  since: Date | null;
}

/**
 * Runs `fn` while holding an advisory lock on `url`'s database (PostgreSQL scopes advisory locks to
 * one database), so instances starting together on it take turns at migrating, bootstrapping tokens
 * and seeding instead of racing. `fn` gets the lock's session (as `url`'s user) for statements of its
 * own. It orders start-ups only: what also changes the schema at run time (the retention job's
 * partitions) and rollgate_lock_down() take a lock of their own inside the database (migration
 * 20261207000100).
 *
 * Waiting for the lock has no bound (another instance's migration may rightly take minutes), so a
 * wait is never silent: `onWait` hears who holds it at once and every 30 s while it lasts.
 */
export async function withStartupLock<T>(
  url: string,
  fn: (session: pg.Client) => Promise<T>,
  /** `holder`: null when no session holds it any more, undefined when that could not be looked up. */
  options: { onWait?: (holder: LockHolder | null | undefined) => void; noticeEveryMs?: number } = {},
): Promise<T> {
  // Bounded connect only: waiting for the lock while another instance migrates may rightly take minutes.
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: STARTUP_APPLICATION });
  await client.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [STARTUP_LOCK]);
    if (!rows[0]?.locked) await waitForLock(url, client, options);
    return await fn(client);
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [STARTUP_LOCK]).catch(() => {});
    await client.end().catch(() => {});
  }
}

async function waitForLock(
  url: string,
  client: pg.Client,
  { onWait, noticeEveryMs = WAIT_NOTICE_MS }: { onWait?: (holder: LockHolder | null | undefined) => void; noticeEveryMs?: number },
): Promise<void> {
  let done = false;
  let telling: Promise<void> | null = null;
  // A notice still looking up the holder when the lock comes is dropped: it would say "waiting" after the wait.
  const tell = () =>
    (telling ??= lockHolder(url)
      .then(
        (holder) => ({ holder }),
        () => ({ holder: undefined }),
      )
      .then(({ holder }) => {
        if (!done) onWait?.(holder);
      })
      .finally(() => (telling = null)));
  await tell();
  const timer = setInterval(() => void tell(), noticeEveryMs);
  try {
    await client.query("SELECT pg_advisory_lock($1)", [STARTUP_LOCK]);
  } finally {
    done = true;
    clearInterval(timer);
  }
}

/** The session holding the start-up lock in `url`'s database (read on a connection of its own). */
async function lockHolder(url: string): Promise<LockHolder | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    // A bigint advisory key is stored as two 32-bit halves: classid the high, objid the low.
    const { rows } = await client.query<{ pid: number; application_name: string; client_addr: string | null; since: Date | null }>(
      `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr, coalesce(a.xact_start, a.backend_start) AS since
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid AND l.objsubid = 1
        LIMIT 1`,
      [STARTUP_LOCK],
    );
    const r = rows[0];
    return r ? { pid: r.pid, applicationName: r.application_name, clientAddress: r.client_addr, since: r.since } : null;
  } finally {
    await client.end().catch(() => {});
  }
}
