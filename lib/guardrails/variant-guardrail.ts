import type { Db } from "../db/client";
import { recordAudit } from "../audit/record-audit";
import { enqueueNotification } from "../notifications";
import { ALPHA_ERRORS } from "../domain/guardrail-evidence";
import { LATENCY_SLOTS } from "../domain/latency-buckets";
import type { EvidenceTrack } from "../domain/split-evidence";
import { configuredVariants, judgeVariant, minutesAgainst, type VariantMinute, type VariantVsControl } from "../domain/variant-comparison";

type Target = { flagId: string; environment: string };

/** One variant's verdict at this look, and whether its alarm is new and has not acted yet. */
export interface VariantAlarm {
  name: string;
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
  const rows = await variantMinutes(db, target, stored.since, heldOutTokenIds);
  const others = names.filter((n) => n !== control);
  const alpha = ALPHA_ERRORS / others.length;
  const tracks = stored.tracks as unknown as Record<string, EvidenceTrack>;
  const acted = stored.acted as Record<string, string>;
  const judged = others.map((name) => ({
    name,
    ...judgeVariant(name, control, minutesAgainst(rows, name, control), alpha, tracks[name] ?? null),
  }));
  await db.variantEvidence.update({
    where: key,
    data: {
      tracks: Object.fromEntries(judged.map((j) => [j.name, j.track])) as object,
      verdicts: JSON.parse(JSON.stringify(Object.fromEntries(judged.map((j) => [j.name, j.vs])))) as object,
      updatedAt: now,
    },
  });
  return judged.filter((j) => j.track.alarmed && !acted[j.name]).map((j) => ({ name: j.name, control, compared: others.length, vs: j.vs }));
}

/** Claims a variant's alarm for acting (a conditional update): false when another look claimed it first. */
export async function claimVariantAlarm(db: Db, target: Target, name: string, acted: string): Promise<boolean> {
  const claimed = await db.$executeRaw`
    UPDATE variant_evidence SET acted = acted || jsonb_build_object(${name}::text, ${acted}::text)
    WHERE flag_id = ${target.flagId}::uuid AND environment_key = ${target.environment} AND NOT acted ? ${name}`;
  return claimed === 1;
}

/** The audit entry `guardrail.variant` and the webhook of an alarm, with what was done. */
export async function recordVariantAlarm(
  db: Db,
  where: { flagKey: string; environment: string },
  alarm: VariantAlarm,
  acted: string,
  dryRun: boolean,
): Promise<void> {
  const record = { variant: alarm.name, control: alarm.control, compared: alarm.compared, ...alarm.vs, acted, dryRun };
  await db.$transaction(async (tx) => {
    await recordAudit(tx, {
      actor: { id: null, label: "system (guardrail)" },
      action: "guardrail.variant",
      target: { type: "flag_state", id: `${where.flagKey}/${where.environment}` },
      after: record,
      reason: alarm.vs.explanation,
    });
    await enqueueNotification(tx, {
      environment: where.environment,
      kind: "guardrail.breached",
      text: `:rotating_light: ${where.flagKey} in ${where.environment}: variant ${alarm.name} against ${alarm.control}: ${alarm.vs.explanation} (${acted})`,
      flagKey: where.flagKey,
      fields: { Flag: where.flagKey, Environment: where.environment, Variant: alarm.name, Evidence: alarm.vs.explanation, Action: acted },
      data: record,
    });
  });
}

/** Per-variant minutes since `since`, summed over tokens and phases, without held-out tokens' reports. */
async function variantMinutes(db: Db, target: Target, since: Date, heldOut: readonly string[]): Promise<VariantMinute[]> {
  const rows = await db.$queryRaw<
    { minute: Date; variant_name: string; requests: number; errors: number; latency_sum_ms: number; latency_buckets: number[] }[]
  >`
    SELECT minute, variant_name, sum(requests)::float8 AS requests, sum(errors)::float8 AS errors, sum(latency_sum_ms)::float8 AS latency_sum_ms,
           '{}'::float8[] AS latency_buckets
    FROM metric_variant_rollups
    WHERE flag_id = ${target.flagId}::uuid AND environment_key = ${target.environment} AND minute >= ${since}::timestamptz
      AND (token_id IS NULL OR NOT token_id = ANY(${[...heldOut]}::uuid[]))
    GROUP BY minute, variant_name`;
  return rows.map((r) => ({
    minute: r.minute.getTime(),
    name: r.variant_name,
    requests: r.requests,
    errors: r.errors,
    latencySumMs: r.latency_sum_ms,
    slots: new Array<number>(LATENCY_SLOTS).fill(0),
  }));
}

const minuteOf = (d: Date) => new Date(Math.floor(d.getTime() / 60_000) * 60_000);
