import type { Db } from "../db/client";
import {
  errorMinutes,
  judgeEvidence,
  slowMinutes,
  summedSlots,
  type EvidenceRollupRow,
  type EvidenceTest,
  type EvidenceVerdict,
} from "../domain/guardrail-evidence";
import { absoluteSlowThresholdMs, relativeSlowThresholdMs, slotTotal } from "../domain/latency-evidence";
import type { EvidenceTrack } from "../domain/split-evidence";

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
 * `latencyCriterionMs` is the absolute latency criterion (the p95 guardrail's threshold or the
 * phase's), tested as slow requests above it; the relative test uses control's own p95.
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
    await db.splitEvidence.deleteMany({ where: { flagId: target.flagId, environmentKey: target.environment } });
    return null;
  }
  const rollout = await db.rollout.findFirst({
    where: { flagId: target.flagId, environmentKey: target.environment, status: { in: ["active", "paused"] } },
    select: { id: true, status: true, createdAt: true },
  });
  const stored = await currentEvidence(db, target, rollout, state.updatedAt);
  const rows = await splitRows(db, target, stored.since, heldOutTokenIds);

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
  if (latencyCriterionMs !== null) {
    const absoluteMs = absoluteSlowThresholdMs(latencyCriterionMs);
    verdicts.latency_absolute = judgeEvidence(slowMinutes(rows, absoluteMs), {
      test: "latency_absolute",
      thresholdMs: absoluteMs,
      previous: tracks.latency_absolute ?? null,
    });
  }
  const acted = stored.acted as Partial<Record<EvidenceTest | "no_data", string>>;
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
      // Traffic is back: a later silence is news again.
      ...(!silent && acted.no_data ? { acted: Object.fromEntries(Object.entries(acted).filter(([t]) => t !== "no_data")) } : {}),
      relativeThresholdMs: relativeMs,
      tracks: Object.fromEntries(Object.entries(verdicts).map(([t, v]) => [t, v.track])) as object,
      verdicts: JSON.parse(JSON.stringify(verdicts)) as object,
      updatedAt: now,
    },
  });
  return { rolloutId: rollout?.id ?? null, rolloutStatus: rollout?.status ?? null, verdicts, newAlarms, newSilence };
}

/**
 * Claims an alarm for acting (a conditional update), so it acts once even if two evaluators looked
 * at the same time. False when another look claimed it first.
 */
export async function claimAlarm(db: Db, target: Target, test: EvidenceTest | "no_data", acted: string): Promise<boolean> {
  const claimed = await db.$executeRaw`
    UPDATE split_evidence SET acted = acted || jsonb_build_object(${test}::text, ${acted}::text)
    WHERE flag_id = ${target.flagId}::uuid AND environment_key = ${target.environment} AND NOT acted ? ${test}`;
  return claimed === 1;
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

/**
 * SPLIT rollup rows since `since`, without what held-out tokens reported (lib/domain/token-agreement.ts):
 * a token that inflates `on` with error-free requests would otherwise make `on`'s errors look expected
 * and the comparison call a failing change clear. Tokens carry no distinct subjects, so a held-out
 * token's errors are taken off the erroring subjects (at most that many were its own).
 */
async function splitRows(db: Db, target: Target, since: Date, heldOutTokenIds: readonly string[]): Promise<EvidenceRollupRow[]> {
  const rows = await db.$queryRaw<
    { minute: Date; phase: number; variant: "on" | "off"; requests: bigint; error_subjects: bigint; latency_buckets: bigint[] }[]
  >`
    SELECT minute, phase, variant, requests, error_subjects, latency_buckets
    FROM metric_rollups
    WHERE flag_id = ${target.flagId}::uuid AND environment_key = ${target.environment} AND reason = 'SPLIT' AND minute >= ${since}`;
  const result = rows.map((r) => ({
    minute: r.minute.getTime(),
    phase: r.phase,
    variant: r.variant,
    reason: "SPLIT",
    requests: Number(r.requests),
    errorSubjects: Number(r.error_subjects),
    latencyBuckets: r.latency_buckets.map(Number),
  }));
  if (heldOutTokenIds.length === 0) return result;
  const held = await db.$queryRaw<
    { minute: Date; phase: number; variant: string; requests: bigint; errors: bigint; latency_buckets: bigint[] }[]
  >`
    SELECT minute, phase, variant, requests, errors, latency_buckets
    FROM metric_rollups_by_token
    WHERE flag_id = ${target.flagId}::uuid AND environment_key = ${target.environment} AND reason = 'SPLIT' AND minute >= ${since}
      AND token_id = ANY(${[...heldOutTokenIds]}::uuid[])`;
  const byKey = new Map(result.map((r) => [`${r.minute}/${r.phase}/${r.variant}`, r]));
  for (const h of held) {
    const r = byKey.get(`${h.minute.getTime()}/${h.phase}/${h.variant}`);
    if (!r) continue;
    r.requests = Math.max(0, r.requests - Number(h.requests));
    r.errorSubjects = Math.max(0, Math.min(r.requests, r.errorSubjects - Number(h.errors)));
    r.latencyBuckets = r.latencyBuckets.map((n, i) => Math.max(0, n - Number(h.latency_buckets[i] ?? 0)));
  }
  return result;
}
