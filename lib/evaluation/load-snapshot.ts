import { Prisma } from "../db/generated/client";
import type { Db } from "../db/client";
import type { ConfigSnapshot } from "../domain/config-snapshot";
import type { FlagRule } from "../domain/evaluation";
import type { Segment, Targeting } from "../domain/targeting/model";

interface Row {
  config_version: bigint;
  key: string | null;
  bucket_group: string | null;
  enabled: boolean | null;
  killed: boolean | null;
  rollout_percent: number | null;
  allowlist: string[] | null;
  version: number | null;
  targeting: Targeting | null;
  rollout_segments: number[] | null;
  /** On the first row only: the segments the statement gathered, by id. */
  segments: Record<string, Segment> | null;
}

/** A flag state row as evaluation needs it; the bucketing group only when it is not the key, targeting only when set. */
function ruleOf(r: Row): FlagRule {
  return {
    enabled: r.enabled ?? false,
    killed: r.killed ?? false,
    rolloutPercent: r.rollout_percent ?? 0,
    allowlist: r.allowlist ?? [],
    version: r.version ?? 1,
    ...(r.bucket_group !== null ? { groupId: r.bucket_group } : {}),
    ...(r.targeting !== null ? { targeting: r.targeting } : {}),
    ...(r.rollout_segments?.length ? { rolloutSegments: r.rollout_segments } : {}),
  };
}

/**
 * The segments with these ids as the data plane needs them ({ id, name, constraints }), keyed by id,
 * as an SQL expression. Uncorrelated, so PostgreSQL evaluates it once per statement; the statements
 * below put it on their first row only, so it is sent once however many flags there are.
 */
function segmentsJson(ids: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`(SELECT jsonb_object_agg(g.id::text, jsonb_build_object('id', g.id, 'name', g.name, 'constraints', g.constraints))
                       FROM segments g WHERE g.id IN (${ids}))`;
}

/**
 * One statement, so the version, the flags and the segments they use come from the same database
 * snapshot. `segments` holds every segment a flag of the environment uses (and no other).
 */
export async function loadSnapshot(db: Db, environment: string): Promise<ConfigSnapshot | null> {
  const used = Prisma.sql`SELECT u.segment_id FROM flag_state_segments u JOIN flags uf ON uf.id = u.flag_id AND uf.archived_at IS NULL
                           WHERE u.environment_key = ${environment}`;
  const rows = await db.$queryRaw<Row[]>`
    SELECT e.config_version, f.key, f.bucket_group, s.enabled, s.killed, s.rollout_percent, s.allowlist, s.version, s.targeting,
           s.rollout_segments,
           CASE WHEN row_number() OVER () = 1 THEN ${segmentsJson(used)} END AS segments
    FROM environments e
    LEFT JOIN flag_states s ON s.environment_key = e.key
    LEFT JOIN flags f ON f.id = s.flag_id AND f.archived_at IS NULL
    WHERE e.key = ${environment}`;
  const first = rows[0];
  if (!first) return null;
  const flags: Record<string, FlagRule> = {};
  let segments: Record<string, Segment> | null = null;
  for (const r of rows) {
    segments ??= r.segments;
    if (r.key === null) continue;
    flags[r.key] = ruleOf(r);
  }
  return { environment, version: Number(first.config_version), flags, ...(segments ? { segments } : {}) };
}

/**
 * Some flags' rules in one environment, with the environment's configuration version read in the
 * same statement; a flag whose rule is null is archived, deleted or has no state there (it leaves
 * the snapshot). With `segmentIds` (segments that changed), the flags of the environment that use
 * them are read too, and `segments` holds those segments and every segment the flags read use.
 */
export async function loadFlagRules(
  db: Db,
  environment: string,
  flagIds: string[],
  segmentIds: number[] = [],
): Promise<{ version: number; flags: { key: string | null; rule: FlagRule | null }[]; segments: Record<string, Segment> } | null> {
  const wanted = Prisma.sql`SELECT unnest(${flagIds}::uuid[]) AS id
                            UNION SELECT u.flag_id FROM flag_state_segments u
                                   WHERE u.environment_key = ${environment} AND u.segment_id = ANY(${segmentIds}::int[])`;
  const segments = Prisma.sql`SELECT unnest(${segmentIds}::int[])
                              UNION SELECT u.segment_id FROM flag_state_segments u
                                     WHERE u.environment_key = ${environment} AND u.flag_id IN (${wanted})`;
  const rows = await db.$queryRaw<(Row & { archived: boolean | null })[]>`
    SELECT e.config_version, f.key, f.bucket_group, f.archived_at IS NOT NULL AS archived,
           s.enabled, s.killed, s.rollout_percent, s.allowlist, s.version, s.targeting, s.rollout_segments,
           CASE WHEN row_number() OVER () = 1 THEN ${segmentsJson(segments)} END AS segments
    FROM environments e
    CROSS JOIN (${wanted}) AS wanted
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
    segments: rows.find((r) => r.segments)?.segments ?? {},
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
