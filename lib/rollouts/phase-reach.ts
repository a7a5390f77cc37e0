import type { Db, Tx } from "../db/client";
import { describeReach, estimateReach, phaseMatcher, segmentMatcher, type AudienceSample, type Reach } from "../domain/audience-sample";
import type { Segment } from "../domain/targeting/model";
import { weekSample } from "../segments/audience-samples";
import { phaseSegments, type RolloutDto } from "./rollout-view";

const SOURCES = { random: Math.random, now: Date.now };
// Per sample (replaced each minute): the same audience asked again is not matched against 4,096 users again.
const memo = new WeakMap<AudienceSample, Map<string, Reach>>();

function remembered(sample: AudienceSample, key: string, compute: () => Reach): Reach {
  let bySample = memo.get(sample);
  if (!bySample) memo.set(sample, (bySample = new Map()));
  let reach = bySample.get(key);
  if (!reach) bySample.set(key, (reach = compute()));
  return reach;
}

/**
 * The rollout with each phase's reach among the users seen in its environment last week: "≈ 120 of
 * ≈ 9,800 users seen last week" (the users its segments, allowlist and percentage serve). For the
 * views that show it (the rollout page, the approval form, GET /api/v1/rollouts/{id}); transitions
 * do without.
 */
export async function withPhaseReach(db: Db | Tx, rollout: RolloutDto, now = Date.now()): Promise<RolloutDto> {
  const [sample, flag, segments] = await Promise.all([
    weekSample(db, rollout.environment, now),
    db.flag.findUnique({ where: { key: rollout.flagKey }, select: { bucketGroup: true } }),
    phaseSegments(db, rollout.phases),
  ]);
  const groupId = flag?.bucketGroup || rollout.flagKey;
  const phases = rollout.phases.map((p) => {
    const used = p.segments.map((id) => segments[String(id)] ?? null);
    const key = JSON.stringify([groupId, p.percent, p.allowlist, used]);
    const reach = remembered(sample, key, () => estimateReach(sample, phaseMatcher(p, groupId, segments, SOURCES)));
    return { ...p, reach: describeReach(reach) };
  });
  return { ...rollout, phases };
}

/** A segment's reach in each environment: "≈ 120 of ≈ 9,800 users seen last week". */
export async function segmentReach(db: Db | Tx, segment: Segment, environments: readonly string[], now = Date.now()) {
  const key = JSON.stringify(["segment", segment.constraints]);
  return Promise.all(
    environments.map(async (environment) => {
      const sample = await weekSample(db, environment, now);
      const reach = remembered(sample, key, () => estimateReach(sample, segmentMatcher(segment, SOURCES)));
      return { environment, ...reach, words: describeReach(reach) };
    }),
  );
}
