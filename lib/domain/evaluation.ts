import { bucketOf } from "./bucketing";
import type { Targeting } from "./targeting/model";

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
   * Strategies, variants and dependencies (lib/domain/targeting/model.ts). Absent or with no
   * strategies: the plain rollout above decides alone.
   */
  targeting?: Targeting;
}

export interface CompiledFlag {
  key: string;
  rule: FlagRule;
  groupId: string;
  allow: ReadonlySet<string>;
}

export type Reason = "DISABLED" | "TARGETING_MATCH" | "SPLIT" | "STATIC";
export type Variant = "on" | "off";

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
export const TARGETING_KEY_MISSING: TargetingKeyMissing = Object.freeze({ error: "TARGETING_KEY_MISSING" });

export function compileFlag(key: string, rule: FlagRule): CompiledFlag {
  return { key, rule, groupId: rule.groupId || key, allow: new Set(rule.allowlist) };
}

/**
 * Precedence: killed → off; disabled → off; allowlisted → on; 0 %/100 % → static; otherwise the
 * user's bucket decides. A targeting key is only required when the bucket is what decides.
 */
export function evaluate(flag: CompiledFlag, targetingKey: string | undefined): Evaluation | TargetingKeyMissing {
  const { rule } = flag;
  if (rule.killed || !rule.enabled) return OFF_DISABLED;
  if (targetingKey !== undefined && flag.allow.has(targetingKey)) return ON_ALLOWLIST;
  if (rule.rolloutPercent >= 100) return ON_STATIC;
  if (rule.rolloutPercent <= 0) return OFF_STATIC;
  if (targetingKey === undefined || targetingKey === "") return TARGETING_KEY_MISSING;
  return bucketOf(flag.groupId, targetingKey) <= rule.rolloutPercent ? ON_SPLIT : OFF_SPLIT;
}

export function isEvaluation(r: Evaluation | TargetingKeyMissing): r is Evaluation {
  return !("error" in r);
}
