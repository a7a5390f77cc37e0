import type { Tx } from "../db/client";
import type { EvidenceRollupRow } from "../domain/guardrail-evidence";

export interface SplitRowsQuery {
  flagId: string;
  environment: string;
  /** The first minute counted (inclusive). */
  since: Date;
  /** The last minute counted (inclusive); open-ended without. */
  until?: Date | null;
  /** Only rows of a rollout's phases (phase −1 is split traffic outside any rollout). */
  rolloutPhasesOnly?: boolean;
  /** Only rows of this phase. */
  phase?: number;
  /** Tokens whose reports are held out (lib/domain/token-agreement.ts). */
  heldOutTokenIds?: readonly string[];
}

/** A SPLIT rollup row as read from `metric_rollups` (counts as float8). */
export interface StoredSplitRow {
  minute: Date;
  phase: number;
  variant: "on" | "off";
  requests: number;
  error_subjects: number;
  latency_buckets: number[];
}

export function toEvidenceRow(r: StoredSplitRow): EvidenceRollupRow {
  return {
    minute: r.minute.getTime(),
    phase: r.phase,
    variant: r.variant,
    reason: "SPLIT",
    requests: Number(r.requests),
    errorSubjects: Number(r.error_subjects),
    latencyBuckets: r.latency_buckets.map(Number),
  };
}

/**
 * A flag's SPLIT rollup rows (the traffic a percentage assigned to `on` or `off`): what every
 * comparison of the change with its control reads (the guardrails' e-processes, the promotion gate,
 * the rollout's chart), so they all see the same numbers.
 *
 * Without what held-out tokens reported: a token that inflates `on` with error-free requests would
 * otherwise make `on`'s errors look expected and call a failing change clear. Tokens carry no
 * distinct subjects, so a held-out token's errors are taken off the erroring subjects (at most that
 * many were its own).
 */
export async function loadSplitRows(db: Tx, q: SplitRowsQuery): Promise<EvidenceRollupRow[]> {
  const until = q.until ?? null;
  const rows = await db.$queryRaw<StoredSplitRow[]>`
    SELECT minute, phase, variant, requests::float8 AS requests, error_subjects::float8 AS error_subjects,
           latency_buckets::float8[] AS latency_buckets
    FROM metric_rollups
    WHERE flag_id = ${q.flagId}::uuid AND environment_key = ${q.environment} AND reason = 'SPLIT'
      AND minute >= ${q.since}::timestamptz AND (${until}::timestamptz IS NULL OR minute <= ${until}::timestamptz)
      AND (NOT ${q.rolloutPhasesOnly ?? false}::boolean OR phase >= 0) AND (${q.phase ?? null}::int IS NULL OR phase = ${q.phase ?? null}::int)
    ORDER BY minute`;
  const result: EvidenceRollupRow[] = rows.map(toEvidenceRow);
  const heldOut = q.heldOutTokenIds ?? [];
  if (heldOut.length === 0) return result;
  const held = await db.$queryRaw<
    { minute: Date; phase: number; variant: string; requests: number; errors: number; latency_buckets: number[] }[]
  >`
    SELECT minute, phase, variant, requests::float8 AS requests, errors::float8 AS errors, latency_buckets::float8[] AS latency_buckets
    FROM metric_rollups_by_token
    WHERE flag_id = ${q.flagId}::uuid AND environment_key = ${q.environment} AND reason = 'SPLIT'
      AND minute >= ${q.since}::timestamptz AND (${until}::timestamptz IS NULL OR minute <= ${until}::timestamptz)
      AND token_id = ANY(${[...heldOut]}::uuid[])`;
  const byKey = new Map(result.map((r) => [`${r.minute}/${r.phase}/${r.variant}`, r]));
  for (const h of held) {
    const r = byKey.get(`${h.minute.getTime()}/${h.phase}/${h.variant}`);
    if (!r) continue;
    r.requests = Math.max(0, r.requests - Number(h.requests));
    r.errorSubjects = Math.max(0, Math.min(r.requests, r.errorSubjects - Number(h.errors)));
    r.latencyBuckets = r.latencyBuckets.map((n, i) => Math.max(0, n - Number(h.latency_buckets[i] ?? 0)));
  }
  return result;
}
