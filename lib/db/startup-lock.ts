import pg from "pg";

const STARTUP_LOCK = 7346010000;

/**
 * Runs `fn` while holding an advisory lock on `url`'s database (PostgreSQL scopes advisory locks to
 * one database), so instances starting together on it take turns at migrating, bootstrapping tokens
 * and seeding instead of racing. `fn` gets the lock's session (as `url`'s user) for statements of its
 * own. It orders start-ups only: what also changes the schema at run time (the retention job's
 * partitions) and rollgate_lock_down() take a lock of their own inside the database (migration
 * 20261207000100).
 */
export async function withStartupLock<T>(url: string, fn: (session: pg.Client) => Promise<T>): Promise<T> {
  // Bounded connect only: waiting for the lock while another instance migrates may rightly take minutes.
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [STARTUP_LOCK]);
    return await fn(client);
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [STARTUP_LOCK]).catch(() => {});
    await client.end().catch(() => {});
  }
}
