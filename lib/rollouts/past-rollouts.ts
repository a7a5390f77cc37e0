import type { Db } from "../db/client";
import { requireUser, type Principal } from "../auth/principal";
import { rolloutOutcome, type RolloutOutcome } from "../domain/rollout";

/** A rollout that has ended, as a flag's page lists it. */
export interface PastRollout {
  id: string;
  environment: string;
  /** A rolled-back rollout that never started is a discarded draft. */
  outcome: RolloutOutcome;
  /** The phase it was at when it ended (the last one for a completed rollout), null for a discarded draft. */
  reached: { name: string; percent: number; index: number } | null;
  phaseCount: number;
  createdAt: string;
  endedAt: string | null;
  /** The reason given with the last step: the rollback's, or what the engineer wrote when completing. */
  reason: string | null;
  /** Who took the last step, as the audit log names them ("system (guardrail)" for an automatic one). */
  endedBy: string | null;
}

/** How many ended rollouts of one flag the page lists: the most recent ones. */
export const PAST_SHOWN = 10;

interface Row {
  id: string;
  environment: string;
  status: "completed" | "rolled_back";
  phase_name: string | null;
  phase_percent: number | null;
  current_phase: number;
  phase_count: number;
  created_at: Date;
  ended_at: Date | null;
  ended_reason: string | null;
  ended_by: string | null;
  total: number;
}

/**
 * A flag's ended rollouts in every environment, the most recently ended first (`limit` of them), and
 * how many there are: one query, with who ended each from the audit entry of its last step (written in
 * that step's transaction, so it is there whenever the rollout has ended).
 */
export async function listPastRollouts(
  db: Db,
  principal: Principal | null,
  flagKey: string,
  limit = PAST_SHOWN,
): Promise<{ rollouts: PastRollout[]; total: number }> {
  requireUser(principal);
  const rows = await db.$queryRaw<Row[]>`
    SELECT r.id::text AS id, r.environment_key AS environment, r.status, r.current_phase,
           p.name AS phase_name, p.percent AS phase_percent,
           (SELECT count(*) FROM rollout_phases c WHERE c.rollout_id = r.id)::int AS phase_count,
           r.created_at, r.ended_at, r.ended_reason, a.actor AS ended_by,
           count(*) OVER ()::int AS total
      FROM rollouts r
      JOIN flags f ON f.id = r.flag_id
      LEFT JOIN rollout_phases p ON p.rollout_id = r.id AND p.index = r.current_phase
      LEFT JOIN LATERAL (
        SELECT l.actor FROM audit_log l
         WHERE l.target_type = 'rollout' AND l.target_id = f.key || '/' || r.environment_key || '/' || r.id::text
           AND l.action IN ('rollout.rollback', 'rollout.complete')
         ORDER BY l.id DESC LIMIT 1
      ) a ON TRUE
     WHERE f.key = ${flagKey} AND r.status IN ('completed', 'rolled_back')
     ORDER BY r.ended_at DESC NULLS LAST, r.created_at DESC, r.id DESC
     LIMIT ${limit}`;
  return {
    total: rows[0]?.total ?? 0,
    rollouts: rows.map((r) => ({
      id: r.id,
      environment: r.environment,
      outcome: rolloutOutcome(r.status, r.current_phase)!,
      reached:
        r.phase_name !== null && r.phase_percent !== null ? { name: r.phase_name, percent: r.phase_percent, index: r.current_phase } : null,
      phaseCount: r.phase_count,
      createdAt: r.created_at.toISOString(),
      endedAt: r.ended_at?.toISOString() ?? null,
      reason: r.ended_reason,
      endedBy: r.ended_by,
    })),
  };
}
