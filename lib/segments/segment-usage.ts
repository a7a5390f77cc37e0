import type { Db, Tx } from "../db/client";
import type { SegmentUseDto } from "./segment-dto";

/**
 * Which flag states refer to a segment (flag_state_segments, kept by a trigger from their targeting),
 * each with its live rollout: the segment's audience changes with every edit of it.
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
     ORDER BY f.key, u.environment_key`;
  return rows.map((r) => ({
    flagKey: r.key,
    environment: r.environment_key,
    archived: r.archived,
    rollout: r.rollout_id && r.status ? { id: r.rollout_id, status: r.status } : null,
  }));
}
