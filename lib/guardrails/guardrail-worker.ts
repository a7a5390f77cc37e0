import type { Db, Tx } from "../db/client";
import { logFailure } from "../db/outage-log";
import { recordAudit } from "../audit/record-audit";
import { judge, type GuardrailAction, type GuardrailMetric } from "../domain/guardrail";
import { killFlagAs } from "../incidents/kill-switch";
import { enqueueNotification } from "../notifications";
import { windowMetricsOf, type AttributedWindowMetrics } from "../rollouts/window-metrics";
import { applyTransition, AUTOMATIC_WIDENING } from "../rollouts/transition-rollout";
import { AppError } from "../errors";
import type { EvidenceTest, EvidenceVerdict } from "../domain/guardrail-evidence";
import { MIN_TREATMENT_REQUESTS } from "../domain/split-evidence";
import { formatDuration } from "../domain/rollout";
import { claimAlarm, compareArms, NO_DATA_MS, releaseAlarm, type Comparison } from "./compare-arms";
import { claimVariantAlarm, lookAtVariants, recordVariantAlarm, releaseVariantAlarm, type VariantAlarm } from "./variant-guardrail";
import { rollgateMetrics } from "../server/metrics/rollgate-metrics";

/** One verdict reached on this instance, by what followed it (README, "Operating it"). */
function countVerdict(action: GuardrailAction | "none" | "already_acted", dryRun = false): void {
  rollgateMetrics()
    .guardrailVerdicts.labels({ action: dryRun && action !== "none" && action !== "already_acted" ? "dry_run" : action })
    .inc();
}

const LOCK_KEY = 7_274_101; // one evaluator across all instances
const SYSTEM = { id: null, label: "system (guardrail)", roles: [] as const };
const PASS_FAILED = { one: "guardrail pass failed", many: "guardrail passes failed" };

/**
 * Evaluates every guardrail every few seconds on exactly one instance (transaction-level advisory
 * lock) and acts on a breach once: the action's own transaction changes the state, opens the incident,
 * writes the audit entry and queues the webhook. `breached_since` remembers the breach until the
 * metric recovers, so a breach acts once, not on every tick.
 */
export function startGuardrails(db: Db, options: { intervalMs?: number; noDataMs?: number; log?: (m: string) => void } = {}) {
  const intervalMs = options.intervalMs ?? 5000;
  const noDataMs = options.noDataMs ?? NO_DATA_MS;
  let running: Promise<number> | null = null;
  const tick = async (now = new Date()): Promise<number> => {
    let acted = 0;
    await db.$transaction(
      async (lockTx) => {
        const lock = await lockTx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${LOCK_KEY}) AS locked`;
        if (!lock[0]?.locked) return;
        const rows = await db.guardrail.findMany({ orderBy: { createdAt: "asc" } });
        for (const group of byFlagAndEnvironment(rows)) {
          try {
            acted += await evaluateGroup(db, group, now, noDataMs);
          } catch (err) {
            logFailure(
              options.log,
              PASS_FAILED,
              err,
              `guardrails of ${group[0]!.flagId}/${group[0]!.environmentKey} failed: ${String(err)}`,
            );
          }
        }
      },
      { timeout: 120_000, maxWait: 10_000 },
    );
    return acted;
  };
  const timer = setInterval(() => {
    if (running) return;
    running = tick().finally(() => (running = null));
    running.catch((err: unknown) => logFailure(options.log, PASS_FAILED, err, `guardrail tick failed: ${String(err)}`));
  }, intervalMs);
  timer.unref();
  return {
    tick,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}

type Row = Awaited<ReturnType<Db["guardrail"]["findMany"]>>[number];
type Flag = { key: string };

function byFlagAndEnvironment(rows: Row[]): Row[][] {
  const groups = new Map<string, Row[]>();
  for (const g of rows) {
    const key = `${g.flagId}/${g.environmentKey}`;
    groups.set(key, [...(groups.get(key) ?? []), g]);
  }
  return [...groups.values()];
}

/**
 * A flag's guardrails in one environment: first `on` against `off` (compare-arms.ts) when the flag
 * is split, acting on a new comparative alarm; then each threshold guardrail, which in a split only
 * notifies unless the comparison agrees that the change is to blame (research §7.5).
 */
async function evaluateGroup(db: Db, group: Row[], now: Date, noDataMs: number): Promise<number> {
  const first = group[0]!;
  const flag = await db.flag.findUniqueOrThrow({ where: { id: first.flagId }, select: { key: true, archivedAt: true } });
  if (flag.archivedAt) return 0;
  const latencyGuardrail = group.find((g) => g.metric === "p95_ms");
  const target = { flagId: first.flagId, environment: first.environmentKey };
  // The thresholds' windows are read before the comparison, so the comparison has seen at least the
  // traffic a threshold judges: a report landing in between cannot make a threshold act on data the
  // comparison never saw.
  const windows = await windowMetricsOf(
    db,
    group.map((g) => ({ flagId: g.flagId, environment: g.environmentKey, phase: null, windowSeconds: g.windowSeconds })),
    now,
  );
  const heldOut = [...new Set(windows.flatMap((w) => w.heldOut.map((h) => h.tokenId)))];
  const comparison = await compareArms(db, target, latencyGuardrail?.threshold ?? null, now, noDataMs, heldOut);
  let acted = 0;
  if (comparison) {
    const dryRun = group.every((g) => g.dryRun);
    for (const test of comparison.newAlarms) {
      if (await actOnComparison(db, flag, target, comparison, test, dryRun, now)) acted++;
    }
    if (comparison.newSilence && (await holdOnSilence(db, flag, target, comparison, dryRun, now, noDataMs))) acted++;
    if (comparison.newMismatch && (await holdOnMismatch(db, flag, target, comparison, dryRun, now))) acted++;
  }
  // A flag with variants: each variant against the control variant, whatever the percentage.
  for (const alarm of await lookAtVariants(db, target, now, heldOut)) {
    if (
      await actOnVariantAlarm(
        db,
        flag,
        target,
        alarm,
        group.every((g) => g.dryRun),
        now,
      )
    )
      acted++;
  }
  for (const [i, g] of group.entries()) if (await evaluateOne(db, flag, g, windows[i]!, comparison, now)) acted++;
  return acted;
}

/**
 * A variant that errs more than the control variant holds an active rollout (pause: nothing widens
 * while one variant fails) and notifies, once per variant. It does not kill or roll back: that would
 * take every variant, control included, from everyone for one variant's fault.
 */
async function actOnVariantAlarm(
  db: Db,
  flag: Flag,
  target: { flagId: string; environment: string },
  alarm: VariantAlarm,
  dryRun: boolean,
  now: Date,
) {
  const live = await db.rollout.findFirst({
    where: { flagId: target.flagId, environmentKey: target.environment, status: "active" },
    select: { id: true },
  });
  const action: GuardrailAction = live ? "pause" : "notify";
  if (!(await claimVariantAlarm(db, target, alarm.key, dryRun ? `dry run: would ${action}` : action))) return false;
  countVerdict(action, dryRun);
  const where = { flagKey: flag.key, environment: target.environment };
  const reason = `guardrail (variant ${alarm.name} against ${alarm.control}, ${alarm.kind}): ${alarm.explanation}`;
  const record: RecordActed = async (tx, acted) => {
    await tx.$executeRaw`
      UPDATE variant_evidence SET acted = acted || jsonb_build_object(${alarm.key}::text, ${acted}::text)
      WHERE flag_id = ${target.flagId}::uuid AND environment_key = ${target.environment}`;
    await recordVariantAlarm(tx, where, alarm, acted, dryRun);
  };
  await orRelease(
    () =>
      dryRun
        ? db.$transaction((tx) => record(tx, `dry run: would ${action}`))
        : actOnBreach(db, action, where, reason, { variant: alarm.name, ...alarm.vs }, now, record),
    () => releaseVariantAlarm(db, target, alarm.key),
  );
  return true;
}

/** What a new comparative alarm does: errors roll back (or kill without a rollout), latency pauses. */
async function actOnComparison(
  db: Db,
  flag: Flag,
  target: { flagId: string; environment: string },
  comparison: Comparison,
  test: EvidenceTest,
  dryRun: boolean,
  now: Date,
): Promise<boolean> {
  const verdict = comparison.verdicts[test]!;
  const action: GuardrailAction = verdict.action === "rollback" ? "rollback" : comparison.rolloutStatus === "active" ? "pause" : "notify";
  if (!(await claimAlarm(db, target, test, dryRun ? `dry run: would ${action}` : action))) return false;
  countVerdict(action, dryRun);
  const where = { flagKey: flag.key, environment: target.environment };
  // Without a rollout to roll back, an error alarm kills (actOnBreach), and the sentence says so.
  const kills = action === "rollback" && comparison.rolloutId === null;
  const sentence = kills
    ? verdict.explanation.replace(/→ roll back$/, "→ kill")
    : action === "notify" && verdict.weather?.elevated
      ? verdict.explanation.replace(/→ pause, not roll back$/, "→ notify, not kill")
      : verdict.explanation;
  const reason = `guardrail (${TEST_NAMES[test]}, on vs off): ${sentence}`;
  const record: RecordActed = async (tx, acted) => {
    await tx.$executeRaw`
      UPDATE split_evidence SET acted = acted || jsonb_build_object(${test}::text, ${acted}::text)
      WHERE flag_id = ${target.flagId}::uuid AND environment_key = ${target.environment}`;
    await recordAudit(tx, {
      actor: { id: null, label: SYSTEM.label },
      action: "guardrail.evidence",
      target: { type: "flag_state", id: `${flag.key}/${target.environment}` },
      after: evidenceRecord(verdict, acted, dryRun),
      reason: sentence,
    });
    await enqueueNotification(tx, {
      environment: target.environment,
      kind: "guardrail.breached",
      text: `:rotating_light: ${flag.key} in ${target.environment}: ${TEST_NAMES[test]}: ${sentence} (${acted})`,
      flagKey: flag.key,
      fields: { Flag: flag.key, Environment: target.environment, Test: TEST_NAMES[test], Evidence: sentence, Action: acted },
      data: evidenceRecord(verdict, acted, dryRun),
    });
  };
  await orRelease(
    () =>
      dryRun
        ? db.$transaction((tx) => record(tx, `dry run: would ${action}`))
        : actOnBreach(db, action, where, reason, verdict, now, record),
    () => releaseAlarm(db, target, test),
  );
  return true;
}

/**
 * A live split that has reported no traffic for 15 min is held: nothing can be judged, so nothing
 * should widen (research §7.4 rule 4). Pauses an active rollout, notifies either way, once per silence.
 */
function holdOnSilence(
  db: Db,
  flag: Flag,
  target: { flagId: string; environment: string },
  comparison: Comparison,
  dryRun: boolean,
  now: Date,
  noDataMs: number,
): Promise<boolean> {
  const last = comparison.newSilence!.lastTraffic;
  const sentence = `no traffic from the split (on and off by percentage) for ${formatDuration(noDataMs / 1000)}${last ? ` (last at ${last.toISOString().slice(11, 16)} UTC)` : ""}: nothing can be judged`;
  return holdSplit(db, flag, target, comparison, dryRun, now, {
    test: "no_data",
    name: "no data",
    sentence,
    breachDetail: { sentence },
    record: { lastTraffic: last?.toISOString() ?? null },
    quoteEvidence: false,
  });
}

/**
 * A sample ratio mismatch holds the rollout (pauses an active one) and notifies, once per phase:
 * the arms are not the populations the comparison assumes, so neither promotion nor the other tests'
 * verdicts can be trusted until someone finds out why (research §7.4 rule 4; GrowthBook's default).
 */
function holdOnMismatch(
  db: Db,
  flag: Flag,
  target: { flagId: string; environment: string },
  comparison: Comparison,
  dryRun: boolean,
  now: Date,
): Promise<boolean> {
  const v = comparison.sampleRatio;
  const record = {
    subjectsOn: v.subjectsOn,
    subjectsOff: v.subjectsOff,
    expectedOnShare: v.expectedOnShare,
    logBF: v.logBF,
    phase: v.phase,
  };
  return holdSplit(db, flag, target, comparison, dryRun, now, {
    test: "sample_ratio",
    name: "sample ratio",
    sentence: v.explanation,
    breachDetail: record,
    record,
    quoteEvidence: true,
  });
}

interface Hold {
  test: "no_data" | "sample_ratio";
  /** As the sentences and the webhook's fields name it. */
  name: string;
  sentence: string;
  /** What the incident or pause records as its verdict. */
  breachDetail: object;
  /** Kept in the audit entry and the webhook's data, with what was done. */
  record: Record<string, unknown>;
  /** Repeat the sentence as the webhook's "Evidence" field. */
  quoteEvidence: boolean;
}

/**
 * The split cannot be judged as it stands: pause an active rollout (or only notify), once per
 * cause (claimed in split_evidence), with an audit entry `guardrail.<test>` and a webhook.
 */
async function holdSplit(
  db: Db,
  flag: Flag,
  target: { flagId: string; environment: string },
  comparison: Comparison,
  dryRun: boolean,
  now: Date,
  hold: Hold,
): Promise<boolean> {
  const action: GuardrailAction = comparison.rolloutStatus === "active" ? "pause" : "notify";
  if (!(await claimAlarm(db, target, hold.test, dryRun ? `dry run: would ${action}` : action))) return false;
  countVerdict(action, dryRun);
  const where = { flagKey: flag.key, environment: target.environment };
  const record: RecordActed = async (tx, acted) => {
    await tx.$executeRaw`
      UPDATE split_evidence SET acted = acted || jsonb_build_object(${hold.test}::text, ${acted}::text)
      WHERE flag_id = ${target.flagId}::uuid AND environment_key = ${target.environment}`;
    await recordAudit(tx, {
      actor: { id: null, label: SYSTEM.label },
      action: `guardrail.${hold.test}`,
      target: { type: "flag_state", id: `${flag.key}/${target.environment}` },
      after: { ...hold.record, acted, dryRun },
      reason: hold.sentence,
    });
    await enqueueNotification(tx, {
      environment: target.environment,
      kind: "guardrail.breached",
      text: `:warning: ${flag.key} in ${target.environment}: ${hold.sentence} (${acted})`,
      flagKey: flag.key,
      fields: {
        Flag: flag.key,
        Environment: target.environment,
        Test: hold.name,
        ...(hold.quoteEvidence ? { Evidence: hold.sentence } : {}),
        Action: acted,
      },
      data: { test: hold.test, ...hold.record, acted, dryRun },
    });
  };
  await orRelease(
    () =>
      dryRun
        ? db.$transaction((tx) => record(tx, `dry run: would ${action}`))
        : actOnBreach(db, action, where, `guardrail (${hold.name}): ${hold.sentence}`, hold.breachDetail, now, record),
    () => releaseAlarm(db, target, hold.test),
  );
  return true;
}

const TEST_NAMES: Record<EvidenceTest, string> = {
  errors: "errors",
  latency_relative: "latency against control's p95",
  latency_absolute: "latency against the criterion",
};

function evidenceRecord(v: EvidenceVerdict, acted: string, dryRun: boolean) {
  return {
    test: v.test,
    thresholdMs: v.thresholdMs,
    on: v.on,
    off: v.off,
    ratio: v.ratio,
    delta: v.delta,
    evidence: v.evidence,
    p: v.p,
    alpha: v.alpha,
    phi: v.phi,
    weather: v.weather,
    acted,
    dryRun,
  };
}

/** Whether the comparison blames the change for what this threshold guardrail measures. */
/** The comparative verdict that speaks for what a threshold guardrail measures. */
function comparisonFor(metric: GuardrailMetric, comparison: Comparison): EvidenceVerdict | undefined {
  const v = comparison.verdicts;
  if (metric !== "p95_ms") return v.errors;
  return v.latency_absolute?.verdict === "alarm" ? v.latency_absolute : (v.latency_relative ?? v.latency_absolute);
}

/**
 * A threshold breach in a split defers to the comparison (notifies instead of acting) when the
 * comparison has judged both arms and does not blame `on`. When it sees no control traffic (SDKs that
 * report no evaluation reason, or only `on`), there is no control arm in effect, and the threshold
 * acts as configured, as in an internal phase.
 */
function defersToComparison(metric: GuardrailMetric, comparison: Comparison | null): comparison is Comparison {
  const v = comparison ? comparisonFor(metric, comparison) : undefined;
  if (v === undefined) return false;
  // Control elevated against its own earlier minutes: an incident on both arms, whatever `on` shows.
  if (v.weather?.elevated) return true;
  // "clear" means enough on both sides to judge and no alarm; "insufficient" (e.g. summaries that
  // carry no erroring subjects) cannot vouch for `on`, so the threshold keeps its action.
  return v.verdict === "clear" && v.off.requests >= MIN_TREATMENT_REQUESTS;
}

async function evaluateOne(
  db: Db,
  flag: Flag,
  g: Row,
  metrics: AttributedWindowMetrics,
  comparison: Comparison | null,
  now: Date,
): Promise<boolean> {
  const verdict = judge(
    { metric: g.metric as GuardrailMetric, threshold: g.threshold, windowSeconds: g.windowSeconds, minSamples: g.minSamples },
    metrics,
  );
  // A token held out of the window (lib/domain/token-agreement.ts) is named in the stored verdict.
  const heldOut = metrics.heldOut.length ? { heldOut: metrics.heldOut.map((h) => h.reason) } : {};
  const record = (extra: Record<string, unknown> = {}) => ({ ...verdict, at: now.toISOString(), ...heldOut, ...extra }) as object;
  if (!verdict.breached) {
    countVerdict("none");
    // Recovery needs a judged, healthy window; too few samples keeps the breach open.
    await db.guardrail.update({ where: { id: g.id }, data: { lastVerdict: record(), ...(verdict.judged ? { breachedSince: null } : {}) } });
    return false;
  }
  if (g.breachedSince) {
    countVerdict("already_acted");
    // A dry run did nothing: its later looks must not read as if the breach had been acted on.
    const acted = g.dryRun ? "dry run: already reported this breach" : "already acted on this breach";
    await db.guardrail.update({ where: { id: g.id }, data: { lastVerdict: record({ acted }) } });
    return false;
  }
  // Claim the breach first (conditional update), so even two evaluators could not act twice.
  const claimed = await db.guardrail.updateMany({ where: { id: g.id, breachedSince: null }, data: { breachedSince: now } });
  if (claimed.count === 0) return false;
  const configured = g.action as GuardrailAction;
  // In a split, a threshold breach that the comparison does not blame on the change (both arms alike:
  // the weather, not the flag) notifies instead of acting.
  const demoted = configured !== "notify" && defersToComparison(g.metric as GuardrailMetric, comparison);
  const action: GuardrailAction = demoted ? "notify" : configured;
  countVerdict(action, g.dryRun);
  const target = { flagKey: flag.key, environment: g.environmentKey };
  const reason = `guardrail: ${verdict.message}`;
  const recordActed: RecordActed = async (tx, acted) => {
    await tx.guardrail.update({ where: { id: g.id }, data: { lastVerdict: record({ acted }) } });
    await recordAudit(tx, {
      actor: { id: null, label: SYSTEM.label },
      action: "guardrail.breach",
      target: { type: "flag_state", id: `${flag.key}/${g.environmentKey}` },
      after: {
        metric: g.metric,
        threshold: g.threshold,
        windowSeconds: g.windowSeconds,
        value: verdict.value,
        samples: verdict.samples,
        acted,
        dryRun: g.dryRun,
      },
      reason: verdict.message,
    });
    // Every breach is announced to every enabled webhook, what it did included: a pause or roll back
    // is also announced as that step, but only to the webhooks the rollout's communication plan names,
    // which may be none, and a pause with no active rollout to pause is no step at all.
    const acting = action !== "notify" && !g.dryRun;
    await enqueueNotification(tx, {
      environment: g.environmentKey,
      kind: "guardrail.breached",
      text: `${acting ? ":rotating_light:" : ":warning:"} ${flag.key} in ${g.environmentKey}: ${verdict.message} (${acted})`,
      flagKey: flag.key,
      fields: { Flag: flag.key, Environment: g.environmentKey, Verdict: verdict.message, Action: acted },
      data: { metric: g.metric, value: verdict.value, threshold: g.threshold, samples: verdict.samples },
    });
  };
  await orRelease(
    async () => {
      if (g.dryRun) await db.$transaction((tx) => recordActed(tx, `dry run: would ${action}`));
      else if (demoted) {
        const v = comparisonFor(g.metric as GuardrailMetric, comparison!)!;
        const why = v.weather?.elevated ? "off is up too, an incident on both arms" : "on is not shown worse than off";
        await db.$transaction((tx) => recordActed(tx, `notified instead of ${GERUNDS[configured]}: ${why} (${v.explanation})`));
      } else await actOnBreach(db, action, target, reason, verdict, now, recordActed);
    },
    () => db.guardrail.updateMany({ where: { id: g.id, breachedSince: now }, data: { breachedSince: null } }),
  );
  return true;
}

/**
 * Runs what a claimed breach or alarm does; when that fails (a rollout step taken meanwhile makes the
 * transition's version stale, the database goes away), releases the claim and rethrows, so the next
 * look acts on it instead of taking it for acted on. The claim is a statement of its own so that two
 * looks cannot both act; it must not outlive an action that did not happen.
 */
async function orRelease(act: () => Promise<unknown>, release: () => Promise<unknown>): Promise<void> {
  try {
    await act();
  } catch (err) {
    await release().catch(() => {});
    throw err;
  }
}

const GERUNDS: Record<GuardrailAction, string> = { notify: "notifying", pause: "pausing", rollback: "rolling back", kill: "killing" };

/** Writes a guardrail's own record of what it did (audit entry, evidence, webhook) in the given transaction. */
type RecordActed = (tx: Tx, acted: string) => Promise<void>;

/**
 * What a breach does: pause or roll back the live rollout, or kill the flag. `record` writes the
 * guardrail's own entry in the action's transaction, so the log never shows a kill without the
 * evidence that caused it (nor the evidence without the kill). Exported so the lock-order test can
 * fire exactly this against a concurrent hand edit (tests/integration/flag-writer-storm.test.ts).
 */
export async function actOnBreach(
  db: Db,
  action: GuardrailAction,
  target: { flagKey: string; environment: string },
  reason: string,
  verdict: object,
  now: Date,
  record: RecordActed = async () => {},
): Promise<string> {
  const alone = async (acted: string) => {
    await db.$transaction((tx) => record(tx, acted));
    return acted;
  };
  if (action === "notify") return alone("notified");
  const live = await db.rollout.findFirst({
    where: { flag: { key: target.flagKey }, environmentKey: target.environment, status: { in: ["draft", "active", "paused"] } },
  });
  if (action === "pause") {
    if (live?.status !== "active") return alone("nothing to pause (no active rollout)");
    const acted = "paused the rollout";
    await applyTransition(db, SYSTEM, live.id, "pause", { version: live.version, reason }, now, (tx) => record(tx, acted));
    return acted;
  }
  let why = "";
  if (action === "rollback" && live && live.status !== "draft") {
    try {
      const acted = "rolled the rollout back";
      await applyTransition(db, SYSTEM, live.id, "rollback", { version: live.version, reason }, now, (tx) => record(tx, acted));
      return acted;
    } catch (err) {
      if (!(err instanceof AppError && err.details.reason === AUTOMATIC_WIDENING)) throw err;
      why = ` instead of rolling back: ${err.message.charAt(0).toLowerCase()}${err.message.slice(1)}`;
    }
  }
  // kill, or roll back with no rollout to roll back (or one that would widen exposure): stop the flag.
  const killed = (incidentId: string) => `killed the flag${why} (incident ${incidentId})`;
  const result = await killFlagAs(
    db,
    { id: null, label: SYSTEM.label },
    target,
    { reason: `${reason}${why}`, snapshot: verdict },
    now,
    (tx, incidentId) => record(tx, killed(incidentId)),
  );
  return killed(result.incidentId);
}
