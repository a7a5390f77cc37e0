import type { Tx } from "../../lib/db/client";
import type { PromotionEvidence } from "../../lib/domain/rollout";
import { loadSplitRows } from "../../lib/metrics/split-rows";

/**
 * What the promotion gate's sums of a rollout's current phase should be, added up from every minute row
 * as the comparison chart reads them (loadSplitRows, held-out tokens taken off each): the oracle the
 * gate's SQL (lib/rollouts/promotion-evidence.ts) is checked against.
 */
export async function promotionSumsFromMinutes(
  db: Tx,
  rollout: { flagId: string; environmentKey: string; currentPhase: number; createdAt: Date },
  heldOutTokenIds: readonly string[],
): Promise<PromotionEvidence> {
  const minutes = await loadSplitRows(db, {
    flagId: rollout.flagId,
    environment: rollout.environmentKey,
    since: new Date(Math.floor(rollout.createdAt.getTime() / 60_000) * 60_000),
    phase: rollout.currentPhase,
    heldOutTokenIds,
  });
  const of = (variant: string) => minutes.filter((m) => m.variant === variant).reduce((n, m) => n + m.requests, 0);
  return { onRequests: of("on"), offRequests: of("off"), events: minutes.reduce((n, m) => n + m.errorSubjects, 0), alarm: null };
}
