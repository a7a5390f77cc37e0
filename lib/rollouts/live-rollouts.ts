import type { Db } from "../db/client";

export interface RolloutSummary {
  id: string;
  flagKey: string;
  environment: string;
  status: string;
  currentPhase: number;
  phaseStartedAt: string | null;
  /** Seconds spent in the current phase so far, as of `now`. */
  phaseElapsedSeconds: number;
  phases: { name: string; percent: number; minSoakSeconds: number }[];
}

/** Rollouts still in progress (draft, active, paused), optionally for one flag. */
export async function listLiveRollouts(db: Db, flagKey?: string, now = new Date()): Promise<RolloutSummary[]> {
  const rows = await db.rollout.findMany({
    where: { status: { in: ["draft", "active", "paused"] }, ...(flagKey ? { flag: { key: flagKey } } : {}) },
    include: { phases: { orderBy: { index: "asc" } }, flag: { select: { key: true } } },
    orderBy: { createdAt: "asc" },
  });
  return rows.map((r) => ({
    id: r.id,
    flagKey: r.flag.key,
    environment: r.environmentKey,
    status: r.status,
    currentPhase: r.currentPhase,
    phaseStartedAt: r.phaseStartedAt?.toISOString() ?? null,
    phaseElapsedSeconds: r.phaseStartedAt ? Math.max(0, Math.floor((now.getTime() - r.phaseStartedAt.getTime()) / 1000)) : 0,
    phases: r.phases.map((p) => ({ name: p.name, percent: p.percent, minSoakSeconds: p.minSoakSeconds })),
  }));
}
