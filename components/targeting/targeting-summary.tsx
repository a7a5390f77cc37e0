import { describeSegment, describeStrategy } from "@/lib/domain/targeting/describe";
import type { Segment, Targeting } from "@/lib/domain/targeting/model";

/** The targeting in words, read-only: the strategies in order, then the plain rollout they are OR-ed with. */
export function TargetingSummary({
  targeting,
  rolloutPercent,
  segmentsById,
}: {
  targeting: Targeting | null;
  rolloutPercent: number;
  segmentsById: Readonly<Record<string, Segment>>;
}) {
  const strategies = targeting?.strategies ?? [];
  return (
    <div className="space-y-2 text-sm">
      {strategies.length ? (
        <ol className="space-y-1.5" data-testid="targeting-words">
          {strategies.map((s, i) => (
            <li key={i} className="break-words text-slate-700">
              <span className="text-slate-500">{i === 0 ? "On for" : "or"}</span>{" "}
              {s.title ? <span className="font-medium text-slate-900">{s.title}: </span> : null}
              {describeStrategy(s, segmentsById)}
            </li>
          ))}
        </ol>
      ) : (
        <p className="text-slate-500">No strategies: the rollout (its percentage and any phase segments) alone decides.</p>
      )}
      <RestOfTargeting targeting={targeting} rolloutPercent={rolloutPercent} />
    </div>
  );
}

/** What the strategies are OR-ed with, and what this editor keeps as it is. */
export function RestOfTargeting({ targeting, rolloutPercent }: { targeting: Targeting | null; rolloutPercent: number }) {
  const variants = targeting?.variants ?? [];
  const dependencies = targeting?.dependencies ?? [];
  return (
    <>
      <RolloutNote strategies={targeting?.strategies.length ?? 0} rolloutPercent={rolloutPercent} />
      {variants.length || dependencies.length ? (
        <p className="text-xs text-slate-500">
          {variants.length ? `Variants: ${variants.map((v) => `${v.name} (${v.weight})`).join(", ")}. ` : ""}
          {dependencies.length
            ? `Depends on ${dependencies.map((d) => `${d.feature} ${d.enabled === false ? "being off" : "being on"}${d.variants?.length ? ` with ${d.variants.join(" or ")}` : ""}`).join(" and ")}.`
            : ""}
        </p>
      ) : null}
    </>
  );
}

/** How the rollout percentage adds to the strategies (lib/domain/targeting/model.ts: one more strategy, last). */
export function RolloutNote({ strategies, rolloutPercent }: { strategies: number; rolloutPercent: number }) {
  if (!strategies) return null;
  return (
    <p className="text-xs text-slate-500">
      {rolloutPercent > 0
        ? `or ${rolloutPercent} % of everyone, by user id (the rollout percentage above).`
        : "The rollout percentage above (0 %) adds no one."}
    </p>
  );
}

/**
 * The segments the live rollout phase serves, read-only: the rollout owns them (advance and roll back
 * set them), so they are not among the strategies this section edits, yet they do serve the flag.
 */
export function RolloutPhaseSegments({ ids, segmentsById }: { ids: readonly number[]; segmentsById: Readonly<Record<string, Segment>> }) {
  if (ids.length === 0) return null;
  const words = ids.map((id) => {
    const segment = segmentsById[String(id)];
    return segment ? describeSegment(segment) : `segment ${id} (deleted)`;
  });
  return (
    <p className="mb-3 rounded-md bg-indigo-50 px-3 py-2 text-sm break-words text-indigo-900" data-testid="rollout-segments">
      Rollout phase serves: {words.join(" and ")}
    </p>
  );
}
