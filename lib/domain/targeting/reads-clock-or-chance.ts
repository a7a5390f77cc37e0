import type { Constraint, Segment, Targeting } from "./model";

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
