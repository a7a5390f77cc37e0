import type { PhaseDto } from "@/lib/rollouts/rollout-view";
import { criteriaInWords, formatDuration, type SuccessCriteria } from "@/lib/domain/rollout";
import { utcMinute } from "@/lib/domain/utc-minute";

export interface StepRecord {
  phase: number;
  by: string;
  at: string;
}

const criteriaText = (c: SuccessCriteria) => criteriaInWords(c) ?? "no metric criteria";

/** The plan as a timeline: done phases with who started them and when, the current one, the next ones. */
export function PhaseTimeline({
  phases,
  currentPhase,
  status,
  steps,
}: {
  phases: PhaseDto[];
  currentPhase: number;
  status: string;
  steps: StepRecord[];
}) {
  return (
    <ol className="space-y-3" data-testid="timeline">
      {phases.map((p) => {
        // A rolled-back rollout has no current phase: the one it was in is where it was rolled back from.
        const state =
          status === "completed" || p.index < currentPhase
            ? "done"
            : p.index === currentPhase
              ? status === "rolled_back"
                ? "rolled-back"
                : "current"
              : status === "rolled_back"
                ? "not-reached"
                : "next";
        const step = steps.find((s) => s.phase === p.index);
        return (
          <li key={p.index} className="flex gap-3" data-phase-state={state}>
            <span
              aria-hidden
              className={`mt-1 flex h-6 w-6 shrink-0 items-center justify-center rounded-full text-xs font-semibold ${
                state === "done"
                  ? "bg-indigo-600 text-white"
                  : state === "current"
                    ? "bg-amber-400 text-slate-900"
                    : state === "rolled-back"
                      ? "bg-red-600 text-white"
                      : "bg-slate-200 text-slate-600"
              }`}
            >
              {p.index + 1}
            </span>
            <div className="min-w-0 text-sm">
              <div className="font-medium">
                {p.name}
                {/* A 0 % phase's audience is all in the line below; a percentage its name already says is not repeated. */}
                {p.percent === 0 || p.name.replace(/\s/g, "").includes(`${p.percent}%`) ? "" : ` · ${p.percent} %`}
                <span className="ml-2 text-xs font-normal text-slate-500">
                  {
                    {
                      current: "current",
                      done: "done",
                      next: "upcoming",
                      "rolled-back": "rolled back from here",
                      "not-reached": "not reached",
                    }[state]
                  }
                </span>
              </div>
              <div className="break-words text-slate-700" data-testid="phase-audience">
                Serves {p.audience}
              </div>
              {p.reach ? (
                <div className="text-xs text-slate-600" data-testid="phase-reach">
                  Reaches {p.reach}
                </div>
              ) : null}
              <div className="text-xs text-slate-500">
                soak {formatDuration(p.minSoakSeconds)} · {criteriaText(p.criteria)} · {p.requiredApprovals} approval
                {p.requiredApprovals === 1 ? "" : "s"}
                {p.checklist.length ? ` · checklist ${p.checklist.length}` : ""}
                {p.notBefore ? ` · not before ${utcMinute(p.notBefore)}` : ""}
              </div>
              {step ? (
                <div className="text-xs text-slate-600">
                  started by {step.by} at {utcMinute(step.at)}
                </div>
              ) : null}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
