import type { Tx } from "../db/client";
import type { EvidenceVerdict } from "../domain/guardrail-evidence";
import type { PromotionEvidence } from "../domain/rollout";
import { groupBy } from "../domain/group-by";

// The sample-ratio sentence names itself ("sample ratio mismatch: …").
const ALARM_LABEL: Record<string, string> = { errors: "errors: ", latency_relative: "latency: ", latency_absolute: "latency: " };

interface RolloutRef {
  id: string;
  flagId: string;
  environmentKey: string;
  currentPhase: number;
  createdAt: Date;
}

/** The e-processes' stored verdicts for a flag in an environment (`split_evidence`), as `storedVerdicts` reads them. */
export interface StoredVerdicts {
  rolloutId: string | null;
  verdicts: unknown;
}

/** Each flag's stored verdicts in each environment, by `flagId/environment`: one query for a whole list of rollouts. */
export async function storedVerdicts(tx: Tx, flagIds: readonly string[]): Promise<Map<string, StoredVerdicts>> {
  if (flagIds.length === 0) return new Map();
  const rows = await tx.splitEvidence.findMany({
    where: { flagId: { in: [...new Set(flagIds)] } },
    select: { flagId: true, environmentKey: true, rolloutId: true, verdicts: true },
  });
  return new Map(rows.map((r) => [`${r.flagId}/${r.environmentKey}`, { rolloutId: r.rolloutId, verdicts: r.verdicts }]));
}

/** One rollout's current phase, as `promotionEvidenceOf` reads it. */
export interface EvidenceQuery {
  rollout: RolloutRef;
  /** Tokens held out of the window's figures (lib/rollouts/window-metrics.ts): out of these too. */
  heldOutTokenIds: readonly string[];
  /** The flag's verdicts in the rollout's environment, from `storedVerdicts`. */
  stored: StoredVerdicts | undefined;
}

/**
 * Each rollout's current phase's change vs control as the promotion gate reads it, in the order given,
 * in one query whatever their number: both arms' SPLIT traffic in this phase (each phase gathers its own
 * evidence at its own split), without held-out tokens, and a comparative alarm of this rollout's
 * e-processes (lib/guardrails/compare-arms.ts) if one stands. The sums are taken in PostgreSQL: a phase
 * that has soaked a week has 20,000 minute rows, which a list of live rollouts must not carry over.
 * Held-out tokens come off each minute's row as `loadSplitRows` takes them off (lib/metrics/split-rows.ts),
 * clamped at zero, which is the same as taking their sum off at once, since a token's errors never
 * exceed its requests.
 */
export async function promotionEvidenceOf(tx: Tx, queries: readonly EvidenceQuery[]): Promise<PromotionEvidence[]> {
  if (queries.length === 0) return [];
  const held = queries.flatMap((q, i) => q.heldOutTokenIds.map((token) => [i + 1, token] as const));
  const rows = await tx.$queryRawUnsafe<{ i: number; variant: string; requests: number; error_subjects: number }[]>(
    EVIDENCE_SQL,
    queries.map((q) => q.rollout.flagId),
    queries.map((q) => q.rollout.environmentKey),
    queries.map((q) => q.rollout.currentPhase),
    queries.map((q) => new Date(Math.floor(q.rollout.createdAt.getTime() / 60_000) * 60_000)),
    held.map(([i]) => i),
    held.map(([, token]) => token),
  );
  const byRollout = groupBy(rows, (r) => r.i);
  return queries.map((q, index) => {
    const evidence: PromotionEvidence = { onRequests: 0, offRequests: 0, events: 0, alarm: null };
    for (const r of byRollout.get(index + 1) ?? []) {
      if (r.variant === "on") evidence.onRequests += Number(r.requests);
      else evidence.offRequests += Number(r.requests);
      evidence.events += Number(r.error_subjects);
    }
    evidence.alarm = standingAlarm(q.rollout.id, q.stored);
    return evidence;
  });
}

/** A comparative alarm of this rollout's e-processes, in words, if one stands. */
function standingAlarm(rolloutId: string, stored: StoredVerdicts | undefined): string | null {
  if (stored?.rolloutId !== rolloutId) return null;
  const verdicts = Object.values(
    (stored.verdicts ?? {}) as unknown as Record<string, Pick<EvidenceVerdict, "verdict" | "explanation"> & { test: string }>,
  );
  const alarm = verdicts.find((v) => v.verdict === "alarm");
  return alarm ? `${ALARM_LABEL[alarm.test] ?? ""}${alarm.explanation}` : null;
}

/**
 * Per rollout (numbered from 1: $1 flags, $2 environments, $3 phases, $4 first minutes) and variant, the
 * SPLIT requests and erroring subjects of its phase, less what its held-out tokens ($5 rollout numbers,
 * $6 token ids) reported in the same minute.
 *
 * The phase's whole hours come from `metric_split_hours` (kept by triggers on metric_rollups, migration
 * 20261208000100), the minutes before its first whole hour from the minute rows: a week-long phase is
 * some 170 rows a variant instead of 10,080. A minute a held-out token reported in is then taken off
 * as counted there and counted again without the token, clamped as before: the same sums as adding up
 * every minute row with the token taken off each (tests/integration/promotion-evidence-sums.test.ts).
 */
const EVIDENCE_SQL = `
WITH q AS (
  SELECT q.*, date_trunc('hour', q.since + interval '59 minutes') AS first_hour
  FROM unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[]) WITH ORDINALITY AS q(flag_id, environment_key, phase, since, i)
), held AS (
  SELECT q.i, b.minute, b.variant, sum(b.requests)::float8 AS requests, sum(b.errors)::float8 AS errors
  FROM q
  JOIN unnest($5::int[], $6::uuid[]) AS h(i, token_id) ON h.i = q.i
  JOIN metric_rollups_by_token b
    ON b.flag_id = q.flag_id AND b.environment_key = q.environment_key AND b.reason = 'SPLIT'
   AND b.minute >= q.since AND b.phase = q.phase AND b.token_id = h.token_id
  GROUP BY q.i, b.minute, b.variant
), counted AS (
  SELECT q.i, x.variant, x.requests::float8 AS requests, x.error_subjects::float8 AS error_subjects
  FROM q
  JOIN metric_split_hours x
    ON x.flag_id = q.flag_id AND x.environment_key = q.environment_key AND x.phase = q.phase AND x.hour >= q.first_hour
  UNION ALL
  -- Per variant, so the primary key's (flag, environment, variant, minute) bounds the minutes read.
  SELECT q.i, m.variant, greatest(0, m.requests), greatest(0, least(greatest(0, m.requests), m.error_subjects))
  FROM q
  CROSS JOIN (VALUES ('on'), ('off')) AS v(variant)
  JOIN metric_rollups m
    ON m.flag_id = q.flag_id AND m.environment_key = q.environment_key AND m.variant = v.variant AND m.reason = 'SPLIT'
   AND m.minute >= q.since AND m.minute < q.first_hour AND m.phase = q.phase
  UNION ALL
  SELECT q.i, m.variant,
         greatest(0, m.requests - h.requests) - greatest(0, m.requests),
         greatest(0, least(greatest(0, m.requests - h.requests), m.error_subjects - h.errors))
           - greatest(0, least(greatest(0, m.requests), m.error_subjects))
  FROM held h
  JOIN q ON q.i = h.i
  JOIN metric_rollups m
    ON m.flag_id = q.flag_id AND m.environment_key = q.environment_key AND m.variant = h.variant
   AND m.minute = h.minute AND m.phase = q.phase AND m.reason = 'SPLIT'
)
SELECT i::int AS i, variant, sum(requests)::float8 AS requests, sum(error_subjects)::float8 AS error_subjects
FROM counted
GROUP BY i, variant`;
