import { Prisma } from "../db/generated/client";

/** A flag is "potentially stale" after this long without evaluations, or this long fully on. */
export const STALE_AFTER_DAYS = 30;

export type StaleReason = "not_evaluated" | "fully_rolled_out";

/**
 * The two stale rules as SQL over `f` (a flags row), shared by the list's filter and by the marker on
 * each listed flag so the two cannot disagree:
 * - not evaluated: older than 30 days and no rollup (requests or adoption-only evaluations) in any
 *   environment for 30 days;
 * - fully rolled out: on for everyone (enabled, not killed, 100 %) in every environment, unchanged
 *   for 30 days, and no active or paused rollout: the flag is now dead code to remove.
 *
 * `perFlag` is for the marker on a page of flags: the same predicates behind an optimiser fence
 * (OFFSET 0), which keeps each EXISTS an index probe per flag. Without it PostgreSQL hashes the whole
 * of flag_states and flag_last_evaluated for a hundred flags (8 ms at 10,000 flags, growing with
 * them); the filter over every flag wants exactly that, and gets the plain form.
 */
export function staleConditions(now: Date, options: { perFlag?: boolean } = {}) {
  const since = Prisma.sql`(${now}::timestamptz - make_interval(days => ${STALE_AFTER_DAYS}))`;
  const fence = options.perFlag ? Prisma.sql`OFFSET 0` : Prisma.empty;
  const notEvaluated = Prisma.sql`(f.created_at < ${since} AND NOT EXISTS (
      SELECT 1 FROM flag_last_evaluated e WHERE e.flag_id = f.id AND e.last_minute >= ${since} ${fence}))`;
  const fullyRolledOut = Prisma.sql`(EXISTS (SELECT 1 FROM flag_states s WHERE s.flag_id = f.id ${fence})
    AND NOT EXISTS (
      SELECT 1 FROM flag_states s WHERE s.flag_id = f.id
         AND NOT (s.enabled AND NOT s.killed AND s.rollout_percent = 100 AND s.updated_at < ${since}) ${fence})
    AND NOT EXISTS (SELECT 1 FROM rollouts r WHERE r.flag_id = f.id AND r.status IN ('active', 'paused') ${fence}))`;
  return { notEvaluated, fullyRolledOut };
}
