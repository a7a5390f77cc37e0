import type { Constraint, Segment, Strategy, Targeting, TargetingContext, VariantDefinition } from "./model";
import { defaultRolloutId, variantSeed } from "./stickiness";

const dated = (constraints: readonly Pick<Constraint, "operator">[]) => constraints.some((c) => c.operator.startsWith("DATE_"));

/**
 * Whether a flag's answer can change with neither its configuration nor the context changing: a date
 * constraint (DATE_AFTER/DATE_BEFORE read the clock when the context has no `currentTime`), in a
 * strategy or a segment it uses, or "random" stickiness (a strategy's or a variant's).
 */
export function readsClockOrChance(targeting: Targeting | null | undefined, segments: Readonly<Record<string, Segment>>): boolean {
  if (!targeting) return false;
  return (
    targeting.variants.some((v) => v.stickiness === "random") ||
    targeting.strategies.some(
      (s) =>
        s.stickiness === "random" ||
        dated(s.constraints) ||
        s.segments.some((id) => dated(segments[String(id)]?.constraints ?? [])) ||
        (s.variants ?? []).some((v) => v.stickiness === "random"),
    )
  );
}

/** Whether an answer is drawn by chance for this context. */
export type DrawsFor = (context: TargetingContext) => boolean;

/**
 * The contexts for which a flag's answer is a draw although its stickiness is not "random": a
 * percentage with "default" stickiness and neither user nor session id, or variants picked by a
 * field the context lacks (rolloutCheck and variantSeed decide alike). Null when there are none.
 */
export function drawsByChanceFor(targeting: Targeting | null | undefined): DrawsFor | null {
  return drawsByChanceForAny([targeting]);
}

/**
 * drawsByChanceFor of a whole snapshot's flags, as one check per distinct way of drawing (a default
 * percentage, each variant stickiness) rather than one per flag: asked of every bulk request, whose
 * cheap answer (a 304) must not cost a walk over ten thousand flags.
 */
export function drawsByChanceForAny(targetings: readonly (Targeting | null | undefined)[]): DrawsFor | null {
  let defaultPercentage = false;
  const variantStickiness = new Set<string>();
  for (const targeting of targetings) {
    if (!targeting) continue;
    if (targeting.strategies.some((s) => isDefault(s.stickiness) && s.rollout > 0 && s.rollout < 100)) defaultPercentage = true;
    const variantLists: [VariantDefinition[], Strategy | null][] = [
      [targeting.variants, null],
      ...targeting.strategies.map((s): [VariantDefinition[], Strategy] => [s.variants ?? [], s]),
    ];
    for (const [variants, strategy] of variantLists) {
      // A single variant with a weight is picked whatever the draw (compileVariants, pickVariant).
      if (variants.filter((v) => v.weight !== 0).length < 2) continue;
      variantStickiness.add(variants[0]!.stickiness || strategy?.stickiness || "default");
    }
  }
  const checks: DrawsFor[] = [...variantStickiness].map((stickiness) => {
    const seed = variantSeed(stickiness);
    return (c) => seed(c) === undefined;
  });
  if (defaultPercentage) checks.push((c) => !defaultRolloutId(c));
  if (checks.length === 0) return null;
  return (c) => checks.some((draws) => draws(c));
}

const isDefault = (stickiness: string) => stickiness === "default" || stickiness === "";
