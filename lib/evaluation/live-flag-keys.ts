import type { Db } from "../db/client";

/**
 * Which of `keys` are flags an environment serves right now (not archived, with a state there): what
 * the in-memory snapshot holds, read from the database. For the moment between a flag's creation and
 * its NOTIFY reaching this instance's store, when the snapshot does not know a flag that exists.
 */
export async function liveFlagKeys(db: Db, environment: string, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db.$queryRaw<{ key: string }[]>`
    SELECT f.key FROM flags f JOIN flag_states s ON s.flag_id = f.id AND s.environment_key = ${environment}
    WHERE f.key = ANY(${[...keys]}::text[]) AND f.archived_at IS NULL`;
  return new Set(rows.map((r) => r.key));
}
