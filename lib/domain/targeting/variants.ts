import { fieldReader, type FieldReader } from "./context";
import type { TargetingContext, VariantDefinition } from "./model";
import type { Sources } from "./operators";
import { variantResults, type TargetedEvaluation, type TargetingReason } from "./result";
import { variantSeed, variantTarget } from "./stickiness";

/** A list of variants compiled once: weights summed, overrides indexed, results made. */
export interface CompiledVariants {
  readonly total: number;
  readonly weights: readonly number[];
  readonly overrides: readonly { index: number; read: FieldReader; values: ReadonlySet<string> }[];
  readonly seed: (c: TargetingContext) => string | undefined;
  readonly groupId: string;
  readonly results: readonly Record<TargetingReason, TargetedEvaluation>[];
}

/**
 * Unleash picks by the weights as they are (the server normalises them to 1000 when they are edited;
 * see `distributeVariantWeights`), with the first variant's stickiness (else `fallbackStickiness`)
 * and `groupId`. Null when there is nothing to pick from (no variants, or weights summing to ≤ 0).
 */
export function compileVariants(
  variants: readonly VariantDefinition[],
  groupId: string,
  fallbackStickiness?: string,
): CompiledVariants | null {
  const weights = variants.map((v) => v.weight);
  const total = weights.reduce((a, w) => a + w, 0);
  if (variants.length === 0 || !(total > 0)) return null;
  const overrides = variants.flatMap((v, index) =>
    (v.overrides ?? []).map((o) => ({ index, read: fieldReader(o.contextName), values: new Set(o.values) })),
  );
  return {
    total,
    weights,
    overrides,
    seed: variantSeed(variants[0]!.stickiness || fallbackStickiness),
    groupId,
    results: variants.map(variantResults),
  };
}

/**
 * The variant for this subject: an override first (TARGETING_MATCH), else by weight (SPLIT);
 * undefined when the weights leave the draw unserved (negative weights), as Unleash's null.
 */
export function pickVariant(v: CompiledVariants, c: TargetingContext, s: Sources): TargetedEvaluation | undefined {
  for (const o of v.overrides) {
    const value = o.read(c);
    if (value !== undefined && o.values.has(value)) return v.results[o.index]!.TARGETING_MATCH;
  }
  const target = variantTarget(v.seed(c), v.groupId, v.total, s);
  let counter = 0;
  for (let i = 0; i < v.weights.length; i++) {
    const w = v.weights[i]!;
    if (w === 0) continue;
    counter += w;
    if (counter >= target) return v.results[i]!.SPLIT;
  }
  return undefined;
}

/**
 * Unleash's weight rule for editors: "fix" variants keep their weight, the "variable" ones share
 * what is left of `total` equally, the first ones taking one more each until it adds up.
 */
export function distributeVariantWeights(variants: readonly VariantDefinition[], total = 1000): VariantDefinition[] {
  const variable = variants.filter((v) => v.weightType !== "fix");
  const fixed = variants.reduce((a, v) => a + (v.weightType === "fix" ? v.weight : 0), 0);
  const left = Math.max(0, total - fixed);
  const share = variable.length ? Math.floor(left / variable.length) : 0;
  let remainder = variable.length ? left % variable.length : 0;
  return variants.map((v) => {
    if (v.weightType === "fix") return v;
    const weight = share + (remainder > 0 ? 1 : 0);
    remainder--;
    return { ...v, weight };
  });
}
