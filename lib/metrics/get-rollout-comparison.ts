import type { Tx } from "../db/client";
import { notFound } from "../errors";
import { buildComparison, type RolloutComparison } from "./rollout-comparison";
import { loadSplitRows } from "./split-rows";
import { heldOutTokensOf } from "../rollouts/window-metrics";
import { lookAtSplitRows } from "./split-rows-cache";

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
  // Tokens whose split disagrees with the others' over the rollout's life are left out, as in the gates.
  const heldOut = await heldOutTokensOf(
    tx,
    {
      flagId: rollout.flagId,
      environment: rollout.environmentKey,
      phase: null,
      windowSeconds: Math.max(60, (to.getTime() - from.getTime()) / 1000),
    },
    to,
  );
  const query = {
    flagId: rollout.flagId,
    environment: rollout.environmentKey,
    since: from,
    heldOutTokenIds: heldOut.map((h) => h.tokenId),
  };
  // A live rollout's minutes as the guardrail worker keeps them (split-rows-cache.ts): the page of a
  // rollout a week into its phase reads the hours written since the last look, not the whole week.
  const evidenceRows = rollout.endedAt
    ? await loadSplitRows(tx, { ...query, until: to, rolloutPhasesOnly: true })
    : (await lookAtSplitRows(tx, query)).filter((r) => r.phase >= 0 && r.minute <= to.getTime());
  return buildComparison(evidenceRows, rollout.phases, { from: from.getTime(), to: to.getTime() });
}
