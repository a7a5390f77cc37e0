import type { Db } from "../db/client";
import {
  errorMinutes,
  judgeEvidence,
  slowMinutes,
  summedSlots,
  type EvidenceTest,
  type EvidenceVerdict,
} from "../domain/guardrail-evidence";
import { absoluteSlowThresholdMs, relativeSlowThresholdMs, slotTotal } from "../domain/latency-evidence";
import type { EvidenceTrack } from "../domain/split-evidence";
import { forgetSplitRows, lookAtSplitRows } from "../metrics/split-rows-cache";
import { lookAtSampleRatio, type SampleRatioVerdict } from "./sample-ratio-look";

/**
 * Control needs this many timed requests before its p95 is frozen as the relative latency threshold:
 * fewer, and the bucket nearest its p95 is a guess.
 */
const MIN_CONTROL_TIMED_REQUESTS = 200;

/** A split that reports no traffic this long while it is live is held (research §7.4 rule 4). */
export const NO_DATA_MS = 15 * 60_000;

/** Each test's verdict at this look; absent tests did not run (no control histogram yet, no criterion). */
export type SplitVerdicts = Partial<Record<EvidenceTest, EvidenceVerdict>>;

export interface Comparison {
  /** The live rollout the e-process belongs to, or null for a split set by hand. */
  rolloutId: string | null;
  rolloutStatus: string | null;
  verdicts: SplitVerdicts;
  /** Tests whose alarm is new at this look and has not acted yet. */
  newAlarms: EvidenceTest[];
  /** Distinct subjects per arm against the configured split (sample-ratio-look.ts). */
  sampleRatio: SampleRatioVerdict;
  /** The sample-ratio alarm, when it is new and has not acted yet. */
  newMismatch: boolean;
  /** The last minute the split reported traffic (null: never), when it has been silent for `noDataMs` and that has not been acted on yet. */
  newSilence: { lastTraffic: Date | null } | null;
}

type Target = { flagId: string; environment: string };

/**
 * One look at a flag that serves both arms by percentage (0 % < percent < 100 %, enabled, not killed):
 * `on` against concurrent `off` since the split began (research §7), one e-process per test for the
 * split's whole life (a rollout's phases included), stored in split_evidence. Returns null, and
 * forgets the evidence, when the flag has no control arm: an internal or allowlist phase, 100 %, a
 * kill. The next split starts a new e-process, as §7.2 asks after a kill and re-enablement.
 *
 * The absolute latency test counts slow requests above the live phase's `maxP95Ms` criterion, or
 * above `latencyCriterionMs` (the p95 guardrail's threshold) when the phase names none; the relative
 * test uses control's own p95. Distinct subjects are checked against the configured split (SRM).
 */
export async function compareArms(
  db: Db,
  target: Target,
  latencyCriterionMs: number | null,
  now: Date,
  noDataMs = NO_DATA_MS,
  heldOutTokenIds: readonly string[] = [],
): Promise<Comparison | null> {
  const state = await db.flagState.findUnique({
    where: { flagId_environmentKey: { flagId: target.flagId, environmentKey: target.environment } },
  });
  const split = state !== null && state.enabled && !state.killed && state.rolloutPercent > 0 && state.rolloutPercent < 100;
  if (!split) {
    forgetSplitRows(target.flagId, target.environment);
    await db.splitEvidence.deleteMany({ where: { flagId: target.flagId, environmentKey: target.environment } });
    return null;
  }
  const rollout = await db.rollout.findFirst({
    where: { flagId: target.flagId, environmentKey: target.environment, status: { in: ["active", "paused"] } },
    select: { id: true, status: true, createdAt: true, currentPhase: true, phases: { select: { index: true, criteria: true } } },
  });
  const stored = await currentEvidence(db, target, rollout, state.updatedAt);
  const rows = await lookAtSplitRows(db, { flagId: target.flagId, environment: target.environment, since: stored.since, heldOutTokenIds });

  let relativeMs = stored.relativeThresholdMs;
  if (relativeMs === null) {
    const control = summedSlots(rows, "off");
    if (slotTotal(control) >= MIN_CONTROL_TIMED_REQUESTS) relativeMs = relativeSlowThresholdMs(control);
  }
  const tracks = stored.tracks as Partial<Record<EvidenceTest, EvidenceTrack>>;
  const verdicts: SplitVerdicts = { errors: judgeEvidence(errorMinutes(rows), { test: "errors", previous: tracks.errors ?? null }) };
  if (relativeMs !== null) {
    verdicts.latency_relative = judgeEvidence(slowMinutes(rows, relativeMs), {
      test: "latency_relative",
      thresholdMs: relativeMs,
      previous: tracks.latency_relative ?? null,
    });
  }
  // The plan's own latency criterion for the live phase when it has one, else the p95 guardrail's.
  const phaseCriteria = rollout?.phases.find((p) => p.index === rollout.currentPhase)?.criteria as { maxP95Ms?: number } | undefined;
  const criterionMs = phaseCriteria?.maxP95Ms ?? latencyCriterionMs;
  const storedVerdicts = stored.verdicts as { sample_ratio?: SampleRatioVerdict; latency_absolute?: { thresholdMs: number | null } };
  if (criterionMs !== null) {
    const absoluteMs = absoluteSlowThresholdMs(criterionMs);
    // A phase with another criterion asks another question: its running maximum starts afresh.
    const sameQuestion = storedVerdicts.latency_absolute?.thresholdMs === absoluteMs;
    verdicts.latency_absolute = judgeEvidence(slowMinutes(rows, absoluteMs), {
      test: "latency_absolute",
      thresholdMs: absoluteMs,
      previous: sameQuestion ? (tracks.latency_absolute ?? null) : null,
    });
  }
  const phase = rollout?.currentPhase ?? -1;
  const sampleRatio = await lookAtSampleRatio(db, {
    flagId: target.flagId,
    environment: target.environment,
    phase,
    expectedOnShare: state.rolloutPercent / 100,
    // The minute after the state last changed: before it, the split may have been another percentage.
    since: new Date(Math.max(stored.since.getTime(), minuteOf(state.updatedAt).getTime() + 60_000)),
    previous: storedVerdicts.sample_ratio ?? null,
    heldOut: heldOutTokenIds.length > 0,
  });
  const acted = stored.acted as Partial<Record<EvidenceTest | "no_data" | "sample_ratio", string>>;
  // A new phase or share is a new question: its mismatch may act again.
  const previousRatio = storedVerdicts.sample_ratio;
  const ratioAgain =
    acted.sample_ratio !== undefined && (previousRatio?.phase !== phase || previousRatio.expectedOnShare !== sampleRatio.expectedOnShare);
  const newMismatch = sampleRatio.verdict === "alarm" && (!acted.sample_ratio || ratioAgain);
  const newAlarms = (Object.keys(verdicts) as EvidenceTest[]).filter((t) => verdicts[t]!.verdict === "alarm" && !acted[t]);
  const lastMinute = rows.reduce((m, r) => Math.max(m, r.minute), Number.NEGATIVE_INFINITY);
  // Silent for `noDataMs` of its own life and of our watching it (a server that just started, or
  // guardrails just set, has not watched a silence yet).
  const silent =
    now.getTime() - Math.max(stored.since.getTime(), stored.watchedSince.getTime()) >= noDataMs &&
    now.getTime() - (lastMinute + 60_000) >= noDataMs; // from the end of the last minute with traffic
  const newSilence = silent && !acted.no_data ? { lastTraffic: Number.isFinite(lastMinute) ? new Date(lastMinute) : null } : null;
  await db.splitEvidence.update({
    where: { flagId_environmentKey: { flagId: target.flagId, environmentKey: target.environment } },
    data: {
      // Traffic is back: a later silence is news again. Written only when something is cleared, so a
      // concurrent claimAlarm is not overwritten with this look's older copy.
      ...((!silent && acted.no_data) || ratioAgain
        ? {
            acted: Object.fromEntries(
              Object.entries(acted).filter(([t]) => !(t === "no_data" && !silent) && !(t === "sample_ratio" && ratioAgain)),
            ),
          }
        : {}),
      relativeThresholdMs: relativeMs,
      tracks: Object.fromEntries(Object.entries(verdicts).map(([t, v]) => [t, v.track])) as object,
      verdicts: JSON.parse(JSON.stringify({ ...verdicts, sample_ratio: sampleRatio })) as object,
      updatedAt: now,
    },
  });
  return {
    rolloutId: rollout?.id ?? null,
    rolloutStatus: rollout?.status ?? null,
    verdicts,
    sampleRatio,
    newMismatch,
    newAlarms,
    newSilence,
  };
}

/**
 * Claims an alarm for acting (a conditional update), so it acts once even if two evaluators looked
 * at the same time. False when another look claimed it first.
 */
export async function claimAlarm(db: Db, target: Target, test: EvidenceTest | "no_data" | "sample_ratio", acted: string): Promise<boolean> {
  const claimed = await db.$executeRaw`
    UPDATE split_evidence SET acted = acted || jsonb_build_object(${test}::text, ${acted}::text)
    WHERE flag_id = ${target.flagId}::uuid AND environment_key = ${target.environment} AND NOT acted ? ${test}`;
  return claimed === 1;
}

/** Gives a claimed alarm back (its action failed), so the next look acts on it. */
export async function releaseAlarm(db: Db, target: Target, test: EvidenceTest | "no_data" | "sample_ratio"): Promise<void> {
  await db.$executeRaw`
    UPDATE split_evidence SET acted = acted - ${test}::text
    WHERE flag_id = ${target.flagId}::uuid AND environment_key = ${target.environment}`;
}

/** The stored e-process, or a new one when none exists or it belonged to another rollout (or none). */
async function currentEvidence(db: Db, target: Target, rollout: { id: string; createdAt: Date } | null, splitSince: Date) {
  const key = { flagId_environmentKey: { flagId: target.flagId, environmentKey: target.environment } };
  const existing = await db.splitEvidence.findUnique({ where: key });
  if (existing && existing.rolloutId === (rollout?.id ?? null)) return existing;
  // A rollout's evidence starts with the rollout; a hand-set split's with the change that set it.
  const since = minuteOf(rollout?.createdAt ?? splitSince);
  const fresh = {
    rolloutId: rollout?.id ?? null,
    since,
    relativeThresholdMs: null,
    tracks: {},
    verdicts: {},
    acted: {},
    watchedSince: new Date(),
  };
  return db.splitEvidence.upsert({
    where: key,
    create: { flagId: target.flagId, environmentKey: target.environment, ...fresh },
    update: fresh,
  });
}

const minuteOf = (d: Date) => new Date(Math.floor(d.getTime() / 60_000) * 60_000);
