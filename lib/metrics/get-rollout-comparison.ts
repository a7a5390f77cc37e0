import type { Tx } from "../db/client";
import { notFound } from "../errors";
import type { EvidenceRollupRow } from "../domain/guardrail-evidence";
import { buildComparison, type RolloutComparison } from "./rollout-comparison";

/**
 * The "change vs control" comparison of one rollout (rollout-comparison.ts), from its flag's SPLIT
 * rollups in its environment since the rollout was created (the minute it was created in, so the
 * first partial minute counts) until it ended, or now. Phase numbers are per rollout, so the rows of
 * an earlier rollout of the same flag are kept out by time, not by phase.
 */
export async function getRolloutComparison(tx: Tx, rolloutId: string, now = new Date()): Promise<RolloutComparison> {
  const rollout = await tx.rollout.findUnique({
    where: { id: rolloutId },
    select: {
      flagId: true,
      environmentKey: true,
      createdAt: true,
      endedAt: true,
      phases: { select: { index: true, name: true, percent: true, minSoakSeconds: true }, orderBy: { index: "asc" } },
    },
  });
  if (!rollout) throw notFound(`Rollout '${rolloutId}'`);
  const from = new Date(Math.floor(rollout.createdAt.getTime() / 60_000) * 60_000);
  const to = rollout.endedAt ?? now;
  const rows = await tx.$queryRaw<
    { minute: Date; phase: number; variant: "on" | "off"; requests: number; error_subjects: number; latency_buckets: number[] }[]
  >`
    SELECT minute, phase, variant, requests::float8 AS requests, error_subjects::float8 AS error_subjects,
           latency_buckets::float8[] AS latency_buckets
    FROM metric_rollups
    WHERE flag_id = ${rollout.flagId}::uuid AND environment_key = ${rollout.environmentKey} AND reason = 'SPLIT' AND phase >= 0
      AND minute >= ${from}::timestamptz AND minute <= ${to}::timestamptz
    ORDER BY minute`;
  const evidenceRows: EvidenceRollupRow[] = rows.map((r) => ({
    minute: r.minute.getTime(),
    phase: r.phase,
    variant: r.variant,
    reason: "SPLIT",
    requests: Number(r.requests),
    errorSubjects: Number(r.error_subjects),
    latencyBuckets: r.latency_buckets.map(Number),
  }));
  return buildComparison(evidenceRows, rollout.phases, { from: from.getTime(), to: to.getTime() });
}
