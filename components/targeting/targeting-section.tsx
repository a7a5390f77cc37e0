import type { Segment } from "@/lib/domain/targeting/model";
import type { FlagStateDto } from "@/lib/flags/flag-dto";
import { TargetingEditor } from "./targeting-editor";
import { RolloutPhaseSegments, TargetingSummary } from "./targeting-summary";

/**
 * The flag page's Targeting section: per environment, who gets the flag besides the rollout
 * percentage, in words, and for those who may change flag state, the editor.
 */
export function TargetingSection({
  flagKey,
  flagGroup,
  environments,
  segments,
  canEdit,
  guarded,
}: {
  flagKey: string;
  flagGroup: string;
  environments: Record<string, FlagStateDto>;
  segments: readonly Segment[];
  canEdit: boolean;
  guarded: (environment: string) => boolean;
}) {
  const segmentsById = Object.fromEntries(segments.map((s) => [String(s.id), s]));
  return (
    <section className="space-y-3" aria-labelledby="targeting-title">
      <div>
        <h2 id="targeting-title" className="font-semibold">
          Targeting
        </h2>
        <p className="text-sm text-slate-500">
          Strategies in order: the flag is on for a subject when any of them matches (every constraint and segment of it, then its
          percentage), or when the rollout percentage takes them.
        </p>
      </div>
      {Object.entries(environments).map(([env, state]) => (
        <div key={env} className="min-w-0 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200 sm:p-5" data-testid={`targeting-${env}`}>
          <h3 className="mb-3 flex flex-wrap items-baseline justify-between gap-2 font-semibold capitalize">
            {env}
            <span className="text-xs font-normal text-slate-500 normal-case">
              {state.targeting?.strategies.length
                ? `${state.targeting.strategies.length} ${state.targeting.strategies.length === 1 ? "strategy" : "strategies"}`
                : "plain rollout"}
            </span>
          </h3>
          <RolloutPhaseSegments ids={state.rolloutSegments} segmentsById={segmentsById} />
          {canEdit ? (
            <TargetingEditor
              flagKey={flagKey}
              environment={env}
              state={state}
              guarded={guarded(env)}
              segments={segments}
              segmentsById={segmentsById}
              flagGroup={flagGroup}
            />
          ) : (
            <TargetingSummary targeting={state.targeting} rolloutPercent={state.rolloutPercent} segmentsById={segmentsById} />
          )}
        </div>
      ))}
    </section>
  );
}
