import type { FlagStateDto } from "@/lib/flags/flag-dto";
import { Badge } from "../ui/badge";

/** One word for what a flag state serves: the precedence of evaluation, read left to right. */
export function FlagStateBadge({ state }: { state: FlagStateDto }) {
  if (state.killed) return <Badge tone="red">Killed</Badge>;
  if (!state.enabled) return <Badge tone="gray">Off</Badge>;
  if (state.rolloutPercent === 100) return <Badge tone="green">On · 100%</Badge>;
  if (state.rolloutPercent === 0)
    return <Badge tone="indigo">{state.allowlist.length ? `Allowlist only (${state.allowlist.length})` : "On · 0%"}</Badge>;
  return <Badge tone="amber">Rolling out · {state.rolloutPercent}%</Badge>;
}

export function PercentBar({ percent }: { percent: number }) {
  return (
    <div className="h-1.5 w-24 overflow-hidden rounded-full bg-slate-200" aria-hidden>
      <div className="h-full rounded-full bg-indigo-500" style={{ width: `${percent}%` }} />
    </div>
  );
}
