import type { Db } from "../db/client";

/** The overview lists this many killed flags at most; the flag list's `state=killed` filter has the rest. */
export const KILLED_SHOWN = 50;

export interface KilledFlags {
  /** Killed (flag, environment) pairs of live flags, all of them. */
  total: number;
  /** The first `limit` of them by key, then environment. */
  shown: { key: string; environment: string }[];
}

/** What the overview shows of killed flags: a count and the first few, not every flag. */
export async function listKilledFlags(db: Db, limit = KILLED_SHOWN): Promise<KilledFlags> {
  const rows = await db.$queryRaw<{ key: string; environment: string; total: bigint }[]>`
    SELECT f.key, s.environment_key AS environment, count(*) OVER () AS total
      FROM flag_states s JOIN flags f ON f.id = s.flag_id
     WHERE s.killed AND f.archived_at IS NULL
     ORDER BY f.key, s.environment_key
     LIMIT ${limit}`;
  return { total: Number(rows[0]?.total ?? 0), shown: rows.map(({ key, environment }) => ({ key, environment })) };
}

/** Which of these (flag, environment) pairs are killed, as `key/environment`. */
export async function killedAmong(db: Db, pairs: { flagKey: string; environment: string }[]): Promise<Set<string>> {
  if (pairs.length === 0) return new Set();
  const rows = await db.$queryRaw<{ key: string; environment: string }[]>`
    SELECT f.key, s.environment_key AS environment
      FROM unnest(${pairs.map((p) => p.flagKey)}::text[], ${pairs.map((p) => p.environment)}::text[]) AS w(key, environment)
      JOIN flags f ON f.key = w.key
      JOIN flag_states s ON s.flag_id = f.id AND s.environment_key = w.environment
     WHERE s.killed`;
  return new Set(rows.map((r) => `${r.key}/${r.environment}`));
}
