import type { Db } from "../db/client";
import { AppError, notFound } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import type { PurgeInput } from "./contribution-schemas";
import { retryOnDeadlock } from "./ingest-events";
import { METRICS_CHANNEL, type MetricsChange } from "./metrics-notifier";
import { requirePermission } from "../auth/permissions";

export interface PurgeResult {
  tokenId: string;
  from: string;
  to: string;
  flagKey: string | null;
  /** Per-token rows removed, and what they had counted (now subtracted from the rollups). */
  rows: number;
  requests: number;
  errors: number;
  evaluations: number;
}

/**
 * Takes back everything one SDK token reported over [from, to): its per-token rows are deleted and
 * exactly what they held is subtracted from the aggregate rollups, in one statement, so charts,
 * gates and guardrails read as if the reports had never come. DELETE … RETURNING hands the UPDATE the
 * values it removed: a batch from the token committing meanwhile is either wholly in them or
 * wholly left standing. Subjects sketches are not per token and stay; erroring-subject counts are
 * capped at the errors left. Rows left with nothing are dropped. The token's per-variant rows
 * (metric_variant_rollups, kept per token) are deleted in the same statement.
 */
const PURGE_SQL = `
WITH gone AS (
  DELETE FROM metric_rollups_by_token
  WHERE token_id = $1::uuid AND minute >= date_trunc('minute', $2::timestamptz) AND minute < $3::timestamptz
    AND ($4::uuid IS NULL OR flag_id = $4::uuid)
  RETURNING *
), gone_totals AS (
  -- The token's running totals of those minutes (the per-token cap's): nothing of them is left.
  DELETE FROM metric_token_totals
  WHERE token_id = $1::uuid AND minute >= date_trunc('minute', $2::timestamptz) AND minute < $3::timestamptz
    AND ($4::uuid IS NULL OR flag_id = $4::uuid)
), adjusted AS (
  UPDATE metric_rollups m SET
    requests = greatest(0, m.requests - g.requests),
    errors = greatest(0, least(m.errors - g.errors, m.requests - g.requests)),
    error_subjects = greatest(0, least(m.error_subjects, m.errors - g.errors)),
    latency_sum_ms = greatest(0, m.latency_sum_ms - g.latency_sum_ms),
    latency_buckets = ARRAY(SELECT greatest(0, a - b) FROM unnest(m.latency_buckets, g.latency_buckets) AS u(a, b)),
    evaluations = greatest(0, m.evaluations - g.evaluations),
    errors_by_code = CASE WHEN g.errors = 0 THEN m.errors_by_code ELSE (
      SELECT coalesce(jsonb_object_agg(c.k, c.n), '{}'::jsonb)
      FROM (SELECT k, coalesce((m.errors_by_code->>k)::bigint, 0) - coalesce((g.errors_by_code->>k)::bigint, 0) AS n
            FROM jsonb_object_keys(m.errors_by_code) AS k) c
      WHERE c.n > 0
    ) END
  FROM gone g
  WHERE m.flag_id = g.flag_id AND m.environment_key = g.environment_key AND m.variant = g.variant
    AND m.minute = g.minute AND m.phase = g.phase AND m.reason = g.reason
  RETURNING m.flag_id
), variants_gone AS (
  -- Per-variant rows are kept per token already: taking them back is deleting them.
  DELETE FROM metric_variant_rollups
  WHERE token_id = $1::uuid AND minute >= date_trunc('minute', $2::timestamptz) AND minute < $3::timestamptz
    AND ($4::uuid IS NULL OR flag_id = $4::uuid)
  RETURNING 1
)
SELECT (SELECT count(*) FROM gone)::int AS rows,
       (SELECT coalesce(sum(requests), 0) FROM gone)::float8 AS requests,
       (SELECT coalesce(sum(errors), 0) FROM gone)::float8 AS errors,
       (SELECT coalesce(sum(evaluations), 0) FROM gone)::float8 AS evaluations,
       (SELECT count(*) FROM adjusted)::int AS adjusted,
       (SELECT coalesce(json_agg(DISTINCT jsonb_build_object('flag', f.key, 'environment', g.environment_key, 'since', g.minute)), '[]')
          FROM (SELECT flag_id, environment_key, min(minute) AS minute FROM gone GROUP BY 1, 2) g JOIN flags f ON f.id = g.flag_id) AS touched`;

export async function purgeTokenReports(db: Db, principal: Principal | null, input: PurgeInput): Promise<PurgeResult> {
  const admin = requirePermission(principal, "metrics.purge");
  const token = await db.apiToken.findUnique({ where: { id: input.tokenId }, select: { id: true, kind: true, name: true } });
  if (!token) throw notFound("API token");
  if (token.kind !== "sdk") {
    throw new AppError("VALIDATION_FAILED", "Only SDK tokens report traffic", { fields: { tokenId: "is a user token, not an SDK token" } });
  }
  let flagId: string | null = null;
  if (input.flag !== undefined) {
    const flag = await db.flag.findUnique({ where: { key: input.flag }, select: { id: true } });
    if (!flag) throw notFound(`Flag '${input.flag}'`);
    flagId = flag.id;
  }
  return retryOnDeadlock(() =>
    db.$transaction(async (tx) => {
      const [r] = await tx.$queryRawUnsafe<
        {
          rows: number;
          requests: number;
          errors: number;
          evaluations: number;
          touched: { flag: string; environment: string; since: string }[];
        }[]
      >(PURGE_SQL, input.tokenId, input.from, input.to, flagId);
      const result: PurgeResult = {
        tokenId: token.id,
        from: input.from.toISOString(),
        to: input.to.toISOString(),
        flagKey: input.flag ?? null,
        rows: r?.rows ?? 0,
        requests: r?.requests ?? 0,
        errors: r?.errors ?? 0,
        evaluations: r?.evaluations ?? 0,
      };
      if (result.rows > 0) {
        const keys = [...new Set((r?.touched ?? []).map((t) => t.flag))];
        await tx.$executeRaw`
          DELETE FROM metric_rollups
          WHERE flag_id IN (SELECT id FROM flags WHERE key = ANY(${keys}::text[]))
            AND minute >= date_trunc('minute', ${input.from}::timestamptz) AND minute < ${input.to}::timestamptz
            AND requests = 0 AND evaluations = 0`;
        // Charts cache finished buckets: tell every instance these reopened (sent on commit).
        for (const t of r?.touched ?? []) {
          const change: MetricsChange = { environment: t.environment, flags: [t.flag], since: new Date(t.since).toISOString() };
          await tx.$executeRaw`SELECT pg_notify(${METRICS_CHANNEL}, ${JSON.stringify(change)})`;
        }
      }
      await recordAudit(tx, {
        actor: { id: admin.userId, label: actorLabel(admin) },
        action: "metrics.purge",
        target: { type: "api_token", id: token.id },
        after: { ...result, tokenName: token.name },
        reason: input.reason,
      });
      return result;
    }),
  );
}
