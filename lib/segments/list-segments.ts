import type { Db } from "../db/client";
import type { SegmentSummaryDto } from "./segment-dto";

/**
 * Every segment by name, with how many flag states use it, how many of those a live rollout drives, and
 * how many live rollouts plan to serve it in a phase still to come (what segment-usage.ts refuses a delete for).
 */
export async function listSegments(db: Db): Promise<SegmentSummaryDto[]> {
  const rows = await db.$queryRaw<
    {
      id: number;
      name: string;
      description: string;
      constraints: unknown;
      version: number;
      created_at: Date;
      updated_at: Date;
      used_by: number;
      live_rollouts: number;
      planned_by: number;
    }[]
  >`
    SELECT s.id, s.name, s.description, s.constraints, s.version, s.created_at, s.updated_at,
           (SELECT count(*) FROM flag_state_segments u WHERE u.segment_id = s.id)::int AS used_by,
           (SELECT count(*) FROM flag_state_segments u
              JOIN rollouts r ON r.flag_id = u.flag_id AND r.environment_key = u.environment_key AND r.status IN ('active', 'paused')
             WHERE u.segment_id = s.id)::int AS live_rollouts,
           (SELECT count(DISTINCT r.id) FROM rollouts r
              JOIN rollout_phases p ON p.rollout_id = r.id AND p.index > r.current_phase
             WHERE r.status IN ('draft', 'active', 'paused') AND s.id = ANY(p.segments))::int AS planned_by
      FROM segments s
     ORDER BY lower(s.name), s.id`;
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    constraints: r.constraints as SegmentSummaryDto["constraints"],
    version: r.version,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    usedBy: r.used_by,
    liveRollouts: r.live_rollouts,
    plannedBy: r.planned_by,
  }));
}
