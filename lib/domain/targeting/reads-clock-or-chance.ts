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
  if (!targeting) return null;
  const checks: DrawsFor[] = [];
  if (targeting.strategies.some((s) => isDefault(s.stickiness) && s.rollout > 0 && s.rollout < 100)) {
    checks.push((c) => !defaultRolloutId(c));
  }
  const variantLists: [VariantDefinition[], Strategy | null][] = [
    [targeting.variants, null],
    ...targeting.strategies.map((s): [VariantDefinition[], Strategy] => [s.variants ?? [], s]),
  ];
  for (const [variants, strategy] of variantLists) {
    // A single variant with a weight is picked whatever the draw (compileVariants, pickVariant).
    if (variants.filter((v) => v.weight !== 0).length < 2) continue;
    const seed = variantSeed(variants[0]!.stickiness || strategy?.stickiness);
    checks.push((c) => seed(c) === undefined);
  }
  if (checks.length === 0) return null;
  return (c) => checks.some((draws) => draws(c));
}

const isDefault = (stickiness: string) => stickiness === "default" || stickiness === "";
