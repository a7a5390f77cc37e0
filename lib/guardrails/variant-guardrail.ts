import type { Db, Tx } from "../db/client";
import { recordAudit } from "../audit/record-audit";
import { enqueueNotification } from "../notifications";
import { ALPHA_ERRORS, ALPHA_LATENCY } from "../domain/guardrail-evidence";
import { variantMinutes } from "../metrics/variant-minutes";
import type { EvidenceTrack } from "../domain/split-evidence";
import {
  configuredVariants,
  judgeVariant,
  judgeVariantLatency,
  latencyMinutesAgainst,
  minutesAgainst,
  type VariantVsControl,
} from "../domain/variant-comparison";

type Target = { flagId: string; environment: string };

/** One variant's verdict at this look, and whether its alarm is new and has not acted yet. */
export interface VariantAlarm {
  name: string;
  /** What is worse than control: the error rate, or latency (slow requests over the frozen threshold). */
  kind: "errors" | "latency";
  /** The alarm's key in variant_evidence (`acted`, `tracks`): the variant's name, `#latency` added for latency. */
  key: string;
  /** The verdict's sentence, of the test that alarmed. */
  explanation: string;
  control: string;
  /** How many variants are compared with control (each test runs at α / compared). */
  compared: number;
  vs: VariantVsControl;
}

/**
 * One look at a multivariate flag's variants (on, not killed, two variants or more): each variant
 * against the control variant (a variant named "control", else the first) since the flag's state last
 * changed before the evidence began,
 * one e-process per variant at α/k kept in variant_evidence. Returns the alarms that are new at this
 * look (not yet acted on); forgets the evidence when there is nothing to compare, and starts afresh
 * when the control changes. Reports of held-out tokens (a split that disagrees) are left out.
 */
export async function lookAtVariants(db: Db, target: Target, now: Date, heldOutTokenIds: readonly string[] = []): Promise<VariantAlarm[]> {
  const key = { flagId_environmentKey: { flagId: target.flagId, environmentKey: target.environment } };
  const state = await db.flagState.findUnique({ where: key, select: { enabled: true, killed: true, targeting: true, updatedAt: true } });
  const names = state ? configuredVariants(state.targeting) : [];
  if (!state || !state.enabled || state.killed || names.length < 2) {
    await db.variantEvidence.deleteMany({ where: { flagId: target.flagId, environmentKey: target.environment } });
    return [];
  }
  const control = names.find((n) => n.toLowerCase() === "control") ?? names[0]!;
  let stored = await db.variantEvidence.findUnique({ where: key });
  if (!stored || stored.control !== control) {
    stored = await db.variantEvidence.upsert({
      where: key,
      // From the minute the flag's state last changed: its variants and weights have been what they are since.
      create: { flagId: target.flagId, environmentKey: target.environment, control, since: minuteOf(state.updatedAt) },
      update: { control, since: minuteOf(state.updatedAt), tracks: {}, verdicts: {}, acted: {}, updatedAt: now },
    });
  }
  const rows = await variantMinutes(db, {
    flagId: target.flagId,
    environment: target.environment,
    since: stored.since,
    heldOut: heldOutTokenIds,
  });
  const others = names.filter((n) => n !== control);
  const alpha = ALPHA_ERRORS / others.length;
  const latencyAlpha = ALPHA_LATENCY / others.length;
  const tracks = stored.tracks as unknown as Record<string, EvidenceTrack>;
  const acted = stored.acted as Record<string, string>;
  const judged = others.map((name) => {
    const errors = judgeVariant(name, control, minutesAgainst(rows, name, control), alpha, tracks[name] ?? null);
    const latency = judgeVariantLatency(
      name,
      control,
      latencyMinutesAgainst(rows, name, control),
      latencyAlpha,
      tracks[`${name}#latency`] ?? null,
    );
    return { name, errors, latency, vs: { ...errors.vs, latency: latency.vs } };
  });
  const newTracks: Record<string, EvidenceTrack> = {};
  for (const j of judged) {
    newTracks[j.name] = j.errors.track;
    if (j.latency.track) newTracks[`${j.name}#latency`] = j.latency.track;
  }
  await db.variantEvidence.update({
    where: key,
    data: {
      tracks: newTracks as object,
      verdicts: JSON.parse(JSON.stringify(Object.fromEntries(judged.map((j) => [j.name, j.vs])))) as object,
      updatedAt: now,
    },
  });
  const alarms: VariantAlarm[] = [];
  for (const j of judged) {
    const base = { name: j.name, control, compared: others.length, vs: j.vs };
    if (j.errors.track.alarmed && !acted[j.name]) alarms.push({ ...base, kind: "errors", key: j.name, explanation: j.vs.explanation });
    if (j.latency.track?.alarmed && j.latency.vs && !acted[`${j.name}#latency`])
      alarms.push({ ...base, kind: "latency", key: `${j.name}#latency`, explanation: j.latency.vs.explanation });
  }
  return alarms;
}

/** Claims a variant's alarm for acting (a conditional update): false when another look claimed it first. */
export async function claimVariantAlarm(db: Db, target: Target, name: string, acted: string): Promise<boolean> {
  const claimed = await db.$executeRaw`
    UPDATE variant_evidence SET acted = acted || jsonb_build_object(${name}::text, ${acted}::text)
    WHERE flag_id = ${target.flagId}::uuid AND environment_key = ${target.environment} AND NOT acted ? ${name}`;
  return claimed === 1;
}

/** Gives a claimed variant alarm back (its action failed), so the next look acts on it. */
export async function releaseVariantAlarm(db: Db, target: Target, name: string): Promise<void> {
  await db.$executeRaw`
    UPDATE variant_evidence SET acted = acted - ${name}::text
    WHERE flag_id = ${target.flagId}::uuid AND environment_key = ${target.environment}`;
}

/** The audit entry `guardrail.variant` and the webhook of an alarm, with what was done, in the action's transaction. */
export async function recordVariantAlarm(
  tx: Tx,
  where: { flagKey: string; environment: string },
  alarm: VariantAlarm,
  acted: string,
  dryRun: boolean,
): Promise<void> {
  const record = { variant: alarm.name, kind: alarm.kind, control: alarm.control, compared: alarm.compared, ...alarm.vs, acted, dryRun };
  await recordAudit(tx, {
    actor: { id: null, label: "system (guardrail)" },
    action: "guardrail.variant",
    target: { type: "flag_state", id: `${where.flagKey}/${where.environment}` },
    after: record,
    reason: alarm.explanation,
  });
  await enqueueNotification(tx, {
    environment: where.environment,
    kind: "guardrail.breached",
    text: `:rotating_light: ${where.flagKey} in ${where.environment}: variant ${alarm.name} against ${alarm.control}: ${alarm.explanation} (${acted})`,
    flagKey: where.flagKey,
    fields: { Flag: where.flagKey, Environment: where.environment, Variant: alarm.name, Evidence: alarm.explanation, Action: acted },
    data: record,
  });
}

const minuteOf = (d: Date) => new Date(Math.floor(d.getTime() / 60_000) * 60_000);
