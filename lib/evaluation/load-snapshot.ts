import type { Db } from "../db/client";
import type { ConfigSnapshot } from "../domain/config-snapshot";
import type { FlagRule } from "../domain/evaluation";

interface Row {
  config_version: bigint;
  key: string | null;
  bucket_group: string | null;
  enabled: boolean | null;
  killed: boolean | null;
  rollout_percent: number | null;
  allowlist: string[] | null;
  version: number | null;
}

/** A flag state row as evaluation needs it; the bucketing group only when it is not the key. */
function ruleOf(r: Row): FlagRule {
  return {
    enabled: r.enabled ?? false,
    killed: r.killed ?? false,
    rolloutPercent: r.rollout_percent ?? 0,
    allowlist: r.allowlist ?? [],
    version: r.version ?? 1,
    ...(r.bucket_group !== null ? { groupId: r.bucket_group } : {}),
  };
}

/** One statement, so the version and the flags it describes come from the same database snapshot. */
export async function loadSnapshot(db: Db, environment: string): Promise<ConfigSnapshot | null> {
  const rows = await db.$queryRaw<Row[]>`
    SELECT e.config_version, f.key, f.bucket_group, s.enabled, s.killed, s.rollout_percent, s.allowlist, s.version
    FROM environments e
    LEFT JOIN flag_states s ON s.environment_key = e.key
    LEFT JOIN flags f ON f.id = s.flag_id AND f.archived_at IS NULL
    WHERE e.key = ${environment}`;
  const first = rows[0];
  if (!first) return null;
  const flags: Record<string, FlagRule> = {};
  for (const r of rows) {
    if (r.key === null) continue;
    flags[r.key] = ruleOf(r);
  }
  return { environment, version: Number(first.config_version), flags };
}

/**
 * Some flags' rules in one environment, with the environment's configuration version read in the
 * same statement; a flag whose rule is null is archived, deleted or has no state there (it leaves
 * the snapshot).
 */
export async function loadFlagRules(
  db: Db,
  environment: string,
  flagIds: string[],
): Promise<{ version: number; flags: { key: string | null; rule: FlagRule | null }[] } | null> {
  const rows = await db.$queryRaw<(Row & { archived: boolean | null })[]>`
    SELECT e.config_version, f.key, f.bucket_group, f.archived_at IS NOT NULL AS archived,
           s.enabled, s.killed, s.rollout_percent, s.allowlist, s.version
    FROM environments e
    CROSS JOIN unnest(${flagIds}::uuid[]) AS wanted(id)
    LEFT JOIN flags f ON f.id = wanted.id
    LEFT JOIN flag_states s ON s.flag_id = f.id AND s.environment_key = e.key
    WHERE e.key = ${environment}`;
  const first = rows[0];
  if (!first) return null;
  return {
    version: Number(first.config_version),
    flags: rows.map((r) => ({
      key: r.key,
      rule: r.key !== null && !r.archived && r.enabled !== null ? ruleOf(r) : null,
    })),
  };
}

export async function loadConfigVersions(db: Db): Promise<Map<string, number>> {
  const rows = await db.$queryRaw<{ key: string; config_version: bigint }[]>`SELECT key, config_version FROM environments`;
  return new Map(rows.map((r) => [r.key, Number(r.config_version)]));
}

/** SDK token hash → environment, for every live SDK token. */
/** A live SDK token as the data plane knows it: its environment, and its id for attributing reports. */
export interface SdkTokenEntry {
  environment: string;
  id: string;
}

export async function loadSdkTokens(db: Db): Promise<Map<string, SdkTokenEntry>> {
  const rows = await db.apiToken.findMany({
    where: { kind: "sdk", revokedAt: null },
    select: { id: true, tokenHash: true, environmentKey: true },
  });
  return new Map(rows.flatMap((r) => (r.environmentKey ? [[r.tokenHash, { environment: r.environmentKey, id: r.id }] as const] : [])));
}
