import { fieldReader } from "./context";
import type { TargetingContext } from "./model";
import type { Sources } from "./operators";
import type { CompiledTargeting } from "./compile";
import {
  OFF_DEFAULT,
  OFF_NO_VARIANT,
  OFF_SPLIT,
  OFF_STATIC,
  ON_NO_VARIANT,
  ON_SPLIT,
  ON_STATIC,
  ON_TARGETED,
  type TargetedEvaluation,
  type TargetingReason,
} from "./result";
import { normalizedHash } from "./stickiness";
import { pickVariant } from "./variants";

/** The implicit rollout strategy cannot bucket a subject without a user id (OFREP: TARGETING_KEY_MISSING). */
export const KEY_MISSING = Symbol("targeting key missing");

const PLAIN_ON: Record<TargetingReason, TargetedEvaluation> = {
  DISABLED: ON_TARGETED,
  TARGETING_MATCH: ON_TARGETED,
  SPLIT: ON_SPLIT,
  STATIC: ON_STATIC,
  DEFAULT: ON_TARGETED,
};
const readUserId = fieldReader("userId");

/** On, with the flag's own variant when it has variants. */
export function onResult(t: CompiledTargeting, reason: TargetingReason, c: TargetingContext, s: Sources): TargetedEvaluation {
  if (!t.multivariate) return PLAIN_ON[reason];
  return (t.variants && pickVariant(t.variants, c, s)) || ON_NO_VARIANT[reason];
}

export function offResult(t: CompiledTargeting, reason: TargetingReason): TargetedEvaluation {
  if (t.multivariate) return OFF_NO_VARIANT[reason];
  return reason === "SPLIT" ? OFF_SPLIT : reason === "STATIC" ? OFF_STATIC : OFF_DEFAULT;
}

/**
 * The strategies in order, the first that matches deciding (with its variants, else the flag's);
 * then the staged rollout's percentage, bucketed by user id in the flag's group.
 */
export function evaluateTargeting(t: CompiledTargeting, c: TargetingContext, s: Sources): TargetedEvaluation | typeof KEY_MISSING {
  for (const st of t.strategies) {
    if (!st.matches(c, s) || !st.inRollout(c, s)) continue;
    const own = st.variants && pickVariant(st.variants, c, s);
    return own || onResult(t, st.reason, c, s);
  }
  const p = t.rolloutPercent;
  if (p >= 100) return onResult(t, "STATIC", c, s);
  if (!(p > 0)) return offResult(t, t.strategies.length ? "DEFAULT" : "STATIC");
  const id = readUserId(c);
  if (!id) return KEY_MISSING;
  return normalizedHash(t.groupId, id, 100, 0) <= p ? onResult(t, "SPLIT", c, s) : offResult(t, "SPLIT");
}
