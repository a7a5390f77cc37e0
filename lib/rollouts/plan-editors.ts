import type { Tx } from "../db/client";

/**
 * Everyone who ever changed what approvers sign (phases or impact) on this rollout, from the audit log.
 * `last_edited_by` names only the latest editor, and four-eyes must hold against every one of them: an
 * earlier editor's change is still in the plan after someone else edits the impact text. The audit entry
 * is written in the edit's own transaction, so this list is never behind the plan it describes. An
 * entry whose planVersion did not move changed automatic progression only, which nobody signs.
 */
export async function planEditors(tx: Tx, rollout: { id: string; flagKey: string; environment: string }): Promise<string[]> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT DISTINCT actor_id::text AS id FROM audit_log
    WHERE target_type = 'rollout' AND target_id = ${`${rollout.flagKey}/${rollout.environment}/${rollout.id}`}
      AND action = 'rollout.edit' AND actor_id IS NOT NULL
      AND (after->>'planVersion') IS DISTINCT FROM (before->>'planVersion')
    ORDER BY 1`;
  return rows.map((r) => r.id);
}
