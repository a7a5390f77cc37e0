import type { Tx } from "./client";

/**
 * Lets the statements of the current transaction run for up to `ms` (PostgreSQL's `SET LOCAL
 * statement_timeout`, which ends with the transaction), for the few operations that legitimately
 * take longer than a request's bound (lib/db/bounded-pool.ts): the pool's bounded client sees this
 * statement and stretches its own answer bound to match, so it does not give up on the server first.
 * A per-transaction override instead of a higher global limit: everything else keeps failing fast
 * when the database hangs. Use the transaction's own timeout as `ms`; no statement may outlive it.
 */
export async function allowLongStatements(tx: Tx, ms: number): Promise<void> {
  if (!Number.isInteger(ms) || ms <= 0) throw new RangeError(`statement timeout must be a positive whole number of ms, not ${ms}`);
  await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = ${ms}`);
}
