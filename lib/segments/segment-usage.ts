import type { Db, Tx } from "../db/client";
import type { SegmentUseDto } from "./segment-dto";

/**
 * Which flag states refer to a segment (flag_state_segments, kept by a trigger from their targeting
 * and their live rollout phase), each with its live rollout, and which live rollouts plan a phase
 * that serves it: the segment's audience changes with every edit of it.
 */
export async function segmentUsage(db: Db | Tx, segmentId: number): Promise<SegmentUseDto[]> {
  const rows = await db.$queryRaw<
    { key: string; environment_key: string; archived: boolean; rollout_id: string | null; status: string | null }[]
  >`
    SELECT f.key, u.environment_key, f.archived_at IS NOT NULL AS archived, r.id::text AS rollout_id, r.status
      FROM flag_state_segments u
      JOIN flags f ON f.id = u.flag_id
      LEFT JOIN rollouts r ON r.flag_id = u.flag_id AND r.environment_key = u.environment_key AND r.status IN ('active', 'paused')
     WHERE u.segment_id = ${segmentId}
    UNION
    -- Phases still to come of live rollouts (drafts included): their approvers signed this audience.
    SELECT DISTINCT f.key, r.environment_key, f.archived_at IS NOT NULL, r.id::text, r.status
      FROM rollouts r
      JOIN rollout_phases p ON p.rollout_id = r.id AND p.index > r.current_phase
      JOIN flags f ON f.id = r.flag_id
     WHERE r.status IN ('draft', 'active', 'paused') AND ${segmentId}::int = ANY(p.segments)
       AND NOT EXISTS (SELECT 1 FROM flag_state_segments u
                        WHERE u.segment_id = ${segmentId} AND u.flag_id = r.flag_id AND u.environment_key = r.environment_key)
    ORDER BY 1, 2`;
  return rows.map((r) => ({
    flagKey: r.key,
    environment: r.environment_key,
    archived: r.archived,
    rollout: r.rollout_id && r.status ? { id: r.rollout_id, status: r.status } : null,
  }));
}
