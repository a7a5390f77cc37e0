import { Link } from "@/components/ui/link";
import type { RolloutDto } from "@/lib/rollouts/rollout-view";
import { formatDuration } from "@/lib/domain/rollout";
import { Badge } from "../ui/badge";

/** A live rollout at a glance on the flag page: the steps, where it is, and whether it may move on. */
export function RolloutProgress({ rollout }: { rollout: RolloutDto }) {
  const current = rollout.phases[rollout.currentPhase];
  const next = rollout.phases[rollout.currentPhase + 1];
  const red = rollout.gates.filter((g) => !g.ok);
  const soaked = rollout.phaseElapsedSeconds;
  return (
    <section className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200" data-testid={`rollout-${rollout.environment}`}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="font-semibold">
          Rollout plan · <span className="capitalize">{rollout.environment}</span>
        </h2>
        <div className="flex items-center gap-2">
          <Badge tone={rollout.status === "active" ? "amber" : rollout.status === "paused" ? "gray" : "indigo"}>{rollout.status}</Badge>
          <Link href={`/rollouts/${rollout.id}`} className="text-sm font-medium text-indigo-700 hover:underline">
            Open rollout →
          </Link>
        </div>
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
                {/* The rollout page says the audience in full; four columns only have room for its kind. */}
                {phase.percent === 0 ? (phase.segments.length ? "segments" : "allowlist") : `${phase.percent}%`} · soak{" "}
                {formatDuration(phase.minSoakSeconds)}
              </div>
            </li>
          );
        })}
      </ol>
      <p className="mt-4 text-sm text-slate-600">
        {current ? `In ${current.name} for ${formatDuration(soaked)}. ` : "Not started. "}
        {next || rollout.status !== "completed" ? (
          red.length ? (
            <span className="text-red-700">
              {red.length} gate{red.length > 1 ? "s" : ""} red for {next ? next.name : "completing"}: {red.map((g) => g.reason).join("; ")}.
            </span>
          ) : (
            <span className="text-emerald-700">Every gate for {next ? next.name : "completing"} is green.</span>
          )
        ) : null}
      </p>
    </section>
  );
}
