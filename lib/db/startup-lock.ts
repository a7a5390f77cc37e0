import pg from "pg";

const STARTUP_LOCK = 7346010000;

/**
 * Runs `fn` while holding a cluster-wide advisory lock, so instances starting together on one
 * database take turns at migrating, bootstrapping tokens and seeding instead of racing. `fn` gets
 * the lock's session (as `url`'s user) for statements of its own.
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
