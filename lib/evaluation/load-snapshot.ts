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
    flags[r.key] = {
      enabled: r.enabled ?? false,
      killed: r.killed ?? false,
      rolloutPercent: r.rollout_percent ?? 0,
      allowlist: r.allowlist ?? [],
      version: r.version ?? 1,
      ...(r.bucket_group !== null ? { groupId: r.bucket_group } : {}),
    };
  }
  return { environment, version: Number(first.config_version), flags };
}

export async function loadConfigVersions(db: Db): Promise<Map<string, number>> {
  const rows = await db.$queryRaw<{ key: string; config_version: bigint }[]>`SELECT key, config_version FROM environments`;
  return new Map(rows.map((r) => [r.key, Number(r.config_version)]));
}

/** SDK token hash → environment, for every live SDK token. */
export async function loadSdkTokens(db: Db): Promise<Map<string, string>> {
  const rows = await db.apiToken.findMany({ where: { kind: "sdk", revokedAt: null }, select: { tokenHash: true, environmentKey: true } });
  return new Map(rows.flatMap((r) => (r.environmentKey ? [[r.tokenHash, r.environmentKey] as const] : [])));
}
