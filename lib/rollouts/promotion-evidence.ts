import type { Tx } from "../db/client";
import type { EvidenceVerdict } from "../domain/guardrail-evidence";
import type { PromotionEvidence } from "../domain/rollout";
import { loadSplitRows } from "../metrics/split-rows";

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

/**
 * The current phase's change vs control as the promotion gate reads it: both arms' SPLIT traffic in
 * this phase (each phase gathers its own evidence at its own split), without held-out tokens, and a
 * comparative alarm of this rollout's e-processes (lib/guardrails/compare-arms.ts) if one stands
 * (`stored`: the flag's verdicts in the rollout's environment, from `storedVerdicts`).
 */
export async function promotionEvidence(
  tx: Tx,
  rollout: RolloutRef,
  heldOutTokenIds: readonly string[],
  stored: StoredVerdicts | undefined,
): Promise<PromotionEvidence> {
  const rows = await loadSplitRows(tx, {
    flagId: rollout.flagId,
    environment: rollout.environmentKey,
    since: new Date(Math.floor(rollout.createdAt.getTime() / 60_000) * 60_000),
    phase: rollout.currentPhase,
    heldOutTokenIds,
  });
  const evidence: PromotionEvidence = { onRequests: 0, offRequests: 0, events: 0, alarm: null };
  for (const r of rows) {
    if (r.variant === "on") evidence.onRequests += r.requests;
    else evidence.offRequests += r.requests;
    evidence.events += r.errorSubjects;
  }
  if (stored?.rolloutId === rollout.id) {
    const verdicts = Object.values(
      (stored.verdicts ?? {}) as unknown as Record<string, Pick<EvidenceVerdict, "verdict" | "explanation"> & { test: string }>,
    );
    const alarm = verdicts.find((v) => v.verdict === "alarm");
    if (alarm) evidence.alarm = `${ALARM_LABEL[alarm.test] ?? ""}${alarm.explanation}`;
  }
  return evidence;
}
