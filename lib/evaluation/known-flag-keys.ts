import type { Db } from "../db/client";

/**
 * Which of `keys` are flags an environment has or had (archived ones too), read from the database:
 * for keys the in-memory snapshot does not hold. A flag created a moment ago is missing from the
 * snapshot until its NOTIFY reaches this instance's store, and an archived one is missing for good,
 * though telemetry from before its archival is still real.
 */
export async function knownFlagKeys(db: Db, environment: string, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db.$queryRaw<{ key: string }[]>`
    SELECT f.key FROM flags f JOIN flag_states s ON s.flag_id = f.id AND s.environment_key = ${environment}
    WHERE f.key = ANY(${[...keys]}::text[])`;
  return new Set(rows.map((r) => r.key));
}
