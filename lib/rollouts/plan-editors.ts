import type { Tx } from "../db/client";

/**
 * Everyone who ever changed what approvers sign (phases or impact) on these rollouts, from the audit log,
 * as `{ target, id }` rows (`target` is the rollout's audit target, `flagKey/environment/rolloutId`).
 * `last_edited_by` names only the latest editor, and four-eyes must hold against every one of them: an
 * earlier editor's change is still in the plan after someone else edits the impact text. The audit entry
 * is written in the edit's own transaction, so this list is never behind the plan it describes. An
 * entry whose planVersion did not move changed automatic progression only, which nobody signs.
 */
export async function planEditorRows(tx: Tx, targets: readonly string[]): Promise<{ target: string; id: string }[]> {
  if (targets.length === 0) return [];
  return tx.$queryRaw<{ target: string; id: string }[]>`
    SELECT DISTINCT target_id AS target, actor_id::text AS id FROM audit_log
    WHERE target_type = 'rollout' AND target_id = ANY(${targets}::text[])
      AND action = 'rollout.edit' AND actor_id IS NOT NULL
      AND (after->>'planVersion') IS DISTINCT FROM (before->>'planVersion')
    ORDER BY 1, 2`;
}
