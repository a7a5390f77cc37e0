import type { RolloutSummary } from "@/lib/rollouts/live-rollouts";
import { Badge } from "./ui/badge";

function duration(seconds: number): string {
  if (seconds <= 0) return "none";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.round(seconds / 360) / 10} h`;
  return `${Math.round(seconds / 8640) / 10} d`;
}

/** The plan as a row of steps: done, current (with soak progress), upcoming. */
export function RolloutProgress({ rollout }: { rollout: RolloutSummary }) {
  const current = rollout.phases[rollout.currentPhase];
  const soaked = rollout.phaseElapsedSeconds;
  return (
    <section className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200" data-testid={`rollout-${rollout.environment}`}>
      <div className="flex items-center justify-between">
        <h2 className="font-semibold">
          Rollout plan · <span className="capitalize">{rollout.environment}</span>
        </h2>
        <Badge tone={rollout.status === "active" ? "amber" : rollout.status === "paused" ? "gray" : "indigo"}>{rollout.status}</Badge>
      </div>
      <ol className="mt-4 grid gap-2" style={{ gridTemplateColumns: `repeat(${rollout.phases.length}, minmax(0, 1fr))` }}>
        {rollout.phases.map((phase, i) => {
          const state = i < rollout.currentPhase ? "done" : i === rollout.currentPhase ? "current" : "next";
          return (
            <li key={phase.name + i} className="space-y-1.5">
              <div
                className={`h-1.5 rounded-full ${state === "done" ? "bg-indigo-600" : state === "current" ? "bg-amber-400" : "bg-slate-200"}`}
              />
              <div className={`text-sm ${state === "next" ? "text-slate-500" : "font-medium"}`}>
                {i + 1}. {phase.name}
              </div>
              <div className="text-xs text-slate-500">
                {phase.percent}% · soak {duration(phase.minSoakSeconds)}
              </div>
            </li>
          );
        })}
      </ol>
      {current ? (
        <p className="mt-4 text-sm text-slate-600">
          In phase {rollout.currentPhase + 1} of {rollout.phases.length} ({current.name}) for {duration(soaked)}
          {current.minSoakSeconds > soaked ? `; minimum soak ${duration(current.minSoakSeconds)}` : "; minimum soak reached"}.
        </p>
      ) : (
        <p className="mt-4 text-sm text-slate-600">Not started.</p>
      )}
    </section>
  );
}
