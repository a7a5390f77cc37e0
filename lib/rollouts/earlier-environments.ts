import type { Tx } from "../db/client";
import { timeAtEachExposure, type ExposureChange, type ExposureSpan, type FlagStateSnapshot } from "../domain/approval-review";
import type { RolloutComparison } from "../metrics/rollout-comparison";

/** Loads a rollout's on-vs-off comparison (get-rollout-comparison.ts); passed in, so the gates can do without it. */
export type CompareRollout = (db: Tx, rolloutId: string, now: Date) => Promise<RolloutComparison>;

/**
 * How the same flag fared in the environments before this one (staging before production): the
 * approval form's "test results" and the gate a plan can require (`requireEarlier`).
 */
export interface EarlierEnvironment {
  environment: string;
  name: string;
  rollout: {
    id: string;
    status: string;
    createdAt: string;
    endedAt: string | null;
    /** Time at each exposure the rollout set, in the order reached; the last runs until now while the flag still holds it. */
    exposures: ExposureSpan[];
    /** Seconds the flag has been at 100 % since the rollout took it there (still counting while it is). */
    secondsAtFull: number | null;
    incidents: number;
    rollbacks: number;
    comparison: RolloutComparison["errors"] | null;
  } | null;
}

type EnvironmentRow = { key: string; name: string; sortOrder: number };

/** Each environment before `environment` in the environments' order, nearest last, with the flag's latest rollout there. */
export async function earlierEnvironmentResults(
  db: Tx,
  flagId: string,
  environment: string,
  environments?: readonly EnvironmentRow[],
  now = new Date(),
  compare?: CompareRollout,
): Promise<EarlierEnvironment[]> {
  const all =
    environments ??
    (await db.environment.findMany({
      orderBy: [{ sortOrder: "asc" }, { key: "asc" }],
      select: { key: true, name: true, sortOrder: true },
    }));
  const here = all.find((e) => e.key === environment);
  const earlier = all.filter((e) => here && e.sortOrder < here.sortOrder && e.key !== environment);
  return Promise.all(earlier.map((e) => earlierResult(db, flagId, e, now, compare)));
}

async function earlierResult(
  db: Tx,
  flagId: string,
  env: { key: string; name: string },
  now: Date,
  compare?: CompareRollout,
): Promise<EarlierEnvironment> {
  const latest = await db.rollout.findFirst({
    where: { flagId, environmentKey: env.key, status: { not: "draft" } },
    orderBy: { createdAt: "desc" },
    select: {
      id: true,
      status: true,
      createdAt: true,
      endedAt: true,
      stateBefore: true,
      phases: { select: { percent: true, allowlist: true, startedAt: true }, orderBy: { index: "asc" } },
    },
  });
  if (!latest) return { environment: env.key, name: env.name, rollout: null };
  const [state, incidents, rollbacks, comparison] = await Promise.all([
    db.flagState.findUnique({ where: { flagId_environmentKey: { flagId, environmentKey: env.key } } }),
    db.incident.count({
      where: {
        OR: [
          { rolloutId: latest.id },
          // A completed rollout leaves the flag at 100 %: incidents after it count too, a rolled-back one's do not.
          {
            flagId,
            environmentKey: env.key,
            openedAt: { gte: latest.createdAt, ...(latest.status === "rolled_back" && latest.endedAt ? { lte: latest.endedAt } : {}) },
          },
        ],
      },
    }),
    db.rollout.count({ where: { flagId, environmentKey: env.key, status: "rolled_back" } }),
    compare ? compare(db, latest.id, now).catch(() => null) : null,
  ]);
  const changes: ExposureChange[] = latest.phases
    .filter((p) => p.startedAt !== null)
    .map((p) => ({ at: p.startedAt!.getTime(), state: { enabled: true, rolloutPercent: p.percent, allowlist: p.allowlist } }));
  if (latest.status === "rolled_back" && latest.endedAt && latest.stateBefore) {
    changes.push({ at: latest.endedAt.getTime(), state: latest.stateBefore as unknown as FlagStateSnapshot });
  }
  const last = changes.at(-1);
  const holds =
    !!state &&
    !!last &&
    state.enabled === last.state.enabled &&
    !state.killed &&
    state.rolloutPercent === last.state.rolloutPercent &&
    state.allowlist.length === last.state.allowlist.length;
  // The last exposure lasts while the flag still holds it; otherwise until the flag last changed.
  const end = Math.max(holds ? now.getTime() : (state?.updatedAt.getTime() ?? now.getTime()), last?.at ?? 0);
  const reachedFull = changes.find((c) => c.state.enabled && c.state.rolloutPercent === 100);
  return {
    environment: env.key,
    name: env.name,
    rollout: {
      id: latest.id,
      status: latest.status,
      createdAt: latest.createdAt.toISOString(),
      endedAt: latest.endedAt?.toISOString() ?? null,
      exposures: timeAtEachExposure(changes, end),
      secondsAtFull: reachedFull ? secondsAtFull(changes, reachedFull, end) : null,
      incidents,
      rollbacks,
      comparison: comparison && comparison.errors.minutes > 0 ? comparison.errors : null,
    },
  };
}

/** From reaching 100 % until the next change (a rollback) or `end`. */
function secondsAtFull(changes: readonly ExposureChange[], reached: ExposureChange, end: number): number {
  const after = changes[changes.indexOf(reached) + 1];
  return Math.max(0, ((after?.at ?? end) - reached.at) / 1000);
}
