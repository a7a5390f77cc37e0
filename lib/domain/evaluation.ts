import { bucketOf } from "./bucketing";
import { compileTargeting, hasTargeting, segmentIdsOf, withRolloutAudience, type CompiledTargeting } from "./targeting/compile";
import { evaluateTargeting, KEY_MISSING, offResult, onResult } from "./targeting/evaluate";
import type { Segment, Targeting, TargetingContext } from "./targeting/model";
import type { Sources } from "./targeting/operators";
import { NO_VARIANT, OFF_NO_VARIANT, type TargetedEvaluation } from "./targeting/result";

export type { Payload, TargetedEvaluation, TargetingReason } from "./targeting/result";
export type { Sources } from "./targeting/operators";

/** One flag in one environment, as evaluation needs it (and as the stream sends it to SDKs). */
export interface FlagRule {
  enabled: boolean;
  killed: boolean;
  rolloutPercent: number;
  allowlist: readonly string[];
  /** Bucketing group; defaults to the flag key so that flags bucket independently. */
  groupId?: string;
  version: number;
  /**
   * Strategies, variants and dependencies (lib/domain/targeting/model.ts). Absent or empty: the
   * plain rollout above decides alone, on the fast path.
   */
  targeting?: Targeting;
  /**
   * Segment ids the live rollout phase serves ("Staff"): one more strategy at 100 % after the user's
   * own and before `rolloutPercent`. Absent when empty. Owned by the rollout (advance and roll back
   * set it), so a targeting edit never changes who the phase serves.
   */
  rolloutSegments?: readonly number[];
}

/** Every segment a rule refers to: its strategies' and its rollout phase's. */
export const ruleSegmentIds = (rule: FlagRule): number[] =>
  rule.rolloutSegments?.length ? [...new Set([...segmentIdsOf(rule.targeting), ...rule.rolloutSegments])] : segmentIdsOf(rule.targeting);

export interface CompiledFlag {
  key: string;
  rule: FlagRule;
  groupId: string;
  allow: ReadonlySet<string>;
  /** Null for a plain rollout (no strategies, variants or dependencies): `evaluate`'s fast path. */
  targeting: CompiledTargeting | null;
}

export type Reason = "DISABLED" | "TARGETING_MATCH" | "SPLIT" | "STATIC";
export type Variant = "on" | "off";

/** `evaluate`'s answer: on/off. `evaluateWithContext` answers a `TargetedEvaluation` (variants, payloads). */
export interface Evaluation {
  readonly value: boolean;
  readonly variant: Variant;
  readonly reason: Reason;
}

export interface TargetingKeyMissing {
  readonly error: "TARGETING_KEY_MISSING";
}

// Shared immutable results: evaluation allocates nothing on the hot path.
const result = (value: boolean, reason: Reason): Evaluation => Object.freeze({ value, variant: value ? "on" : "off", reason });
export const OFF_DISABLED = result(false, "DISABLED");
export const ON_ALLOWLIST = result(true, "TARGETING_MATCH");
export const ON_STATIC = result(true, "STATIC");
export const OFF_STATIC = result(false, "STATIC");
export const ON_SPLIT = result(true, "SPLIT");
export const OFF_SPLIT = result(false, "SPLIT");
const OFF_TARGETED = result(false, "TARGETING_MATCH");
export const TARGETING_KEY_MISSING: TargetingKeyMissing = Object.freeze({ error: "TARGETING_KEY_MISSING" });

/**
 * `segments`: the snapshot's segments by id; a strategy naming one that is not there never matches.
 * Compile again when a segment the flag uses changes (`segmentIdsOf`).
 */
export function compileFlag(key: string, rule: FlagRule, segments: Readonly<Record<string, Segment>> = {}): CompiledFlag {
  const groupId = rule.groupId || key;
  const audience = rule.rolloutSegments ?? [];
  const targeting =
    hasTargeting(rule.targeting) || audience.length > 0
      ? compileTargeting({
          targeting: withRolloutAudience(rule.targeting, audience, groupId),
          flagKey: key,
          groupId,
          rolloutPercent: rule.rolloutPercent,
          segments,
        })
      : null;
  return { key, rule, groupId, allow: new Set(rule.allowlist), targeting };
}

/** What evaluating with a context needs besides the flag: the other flags (dependencies), chance and time. */
export interface EvaluationEnv extends Sources {
  flag(key: string): CompiledFlag | undefined;
}

/**
 * The plain rollout. Precedence: killed → off; disabled → off; allowlisted → on; 0 %/100 % → static;
 * otherwise the user's bucket decides. A targeting key is only required when the bucket is what decides.
 *
 * A flag with targeting is answered as `evaluateWithContext` answers for a context holding only the
 * user id, in on/off terms (off because no rule served the subject is TARGETING_MATCH here), with
 * `env` (default: no other flags, so a dependency is unmet; Math.random and Date.now). Callers that
 * have a context and the snapshot call `evaluateWithContext`.
 */
export function evaluate(flag: CompiledFlag, targetingKey: string | undefined, env?: EvaluationEnv): Evaluation | TargetingKeyMissing {
  const { rule } = flag;
  // Kept small, so that the percentage-only path stays inlined into its callers' loops.
  if (flag.targeting !== null) return evaluateAsOnOff(flag, targetingKey, env);
  if (rule.killed || !rule.enabled) return OFF_DISABLED;
  if (targetingKey !== undefined && flag.allow.has(targetingKey)) return ON_ALLOWLIST;
  if (rule.rolloutPercent >= 100) return ON_STATIC;
  if (rule.rolloutPercent <= 0) return OFF_STATIC;
  if (targetingKey === undefined || targetingKey === "") return TARGETING_KEY_MISSING;
  return bucketOf(flag.groupId, targetingKey) <= rule.rolloutPercent ? ON_SPLIT : OFF_SPLIT;
}

const LONE_FLAG: EvaluationEnv = Object.freeze({ flag: () => undefined, random: Math.random, now: Date.now });

const ON_BY: Record<TargetedEvaluation["reason"], Evaluation> = {
  DISABLED: ON_ALLOWLIST,
  TARGETING_MATCH: ON_ALLOWLIST,
  DEFAULT: ON_ALLOWLIST,
  SPLIT: ON_SPLIT,
  STATIC: ON_STATIC,
};
const OFF_BY: Record<TargetedEvaluation["reason"], Evaluation> = {
  DISABLED: OFF_DISABLED,
  TARGETING_MATCH: OFF_TARGETED,
  DEFAULT: OFF_TARGETED,
  SPLIT: OFF_SPLIT,
  STATIC: OFF_STATIC,
};
function evaluateAsOnOff(flag: CompiledFlag, targetingKey: string | undefined, env = LONE_FLAG): Evaluation | TargetingKeyMissing {
  const r = evaluateWithContext(flag, { userId: targetingKey }, env);
  return "error" in r ? r : (r.value ? ON_BY : OFF_BY)[r.reason];
}

function dependenciesMet(flag: CompiledFlag, t: CompiledTargeting, context: TargetingContext, env: EvaluationEnv): boolean {
  for (const d of t.dependencies) {
    const parent = env.flag(d.feature);
    // One level only, as Unleash: a parent that has parents of its own is never satisfied.
    if (!parent || parent === flag || (parent.targeting?.dependencies.length ?? 0) > 0) return false;
    const r = evaluateWithContext(parent, context, env);
    const on = "value" in r && r.value;
    if (d.enabled === false) {
      if (on) return false;
      continue;
    }
    if (!on) return false;
    if (d.variants?.length) {
      const name = parent.targeting?.multivariate && "variant" in r ? r.variant : NO_VARIANT;
      if (!d.variants.includes(name)) return false;
    }
  }
  return true;
}

/**
 * A flag for a context (lib/domain/targeting/model.ts gives the order): killed or disabled → off; a
 * dependency not met → off; the allowlist → on; the strategies; the staged rollout's percentage.
 */
export function evaluateWithContext(
  flag: CompiledFlag,
  context: TargetingContext,
  env: EvaluationEnv,
): TargetedEvaluation | TargetingKeyMissing {
  const t = flag.targeting;
  const userId = context.userId ?? context.properties?.userId;
  if (t === null) return evaluate(flag, userId);
  if (flag.rule.killed || !flag.rule.enabled) return t.multivariate ? OFF_NO_VARIANT.DISABLED : OFF_DISABLED;
  if (t.dependencies.length > 0 && !dependenciesMet(flag, t, context, env)) return offResult(t, "DEFAULT");
  if (userId !== undefined && flag.allow.has(userId)) return onResult(t, "TARGETING_MATCH", context, env);
  const r = evaluateTargeting(t, context, env);
  return r === KEY_MISSING ? TARGETING_KEY_MISSING : r;
}

export function isEvaluation<E extends Evaluation | TargetedEvaluation>(r: E | TargetingKeyMissing): r is E {
  return !("error" in r);
}
