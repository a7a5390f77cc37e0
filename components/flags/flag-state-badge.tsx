import type { FlagStateDto } from "@/lib/flags/flag-dto";
import { Badge } from "../ui/badge";

type Tone = "red" | "gray" | "green" | "indigo" | "amber";

/**
 * One word for what a flag state serves: the precedence of evaluation, read left to right. At 0 % the
 * audience is whoever the allowlist, a rollout phase's segments or targeting strategies name: "Targeted"
 * when segments or strategies serve someone, so an internal phase serving Staff is not called
 * "Allowlist only".
 */
export function flagStateSummary(
  state: Pick<FlagStateDto, "killed" | "enabled" | "rolloutPercent" | "allowlist"> &
    Partial<Pick<FlagStateDto, "rolloutSegments" | "targeting">>,
): { tone: Tone; text: string } {
  if (state.killed) return { tone: "red", text: "Killed" };
  if (!state.enabled) return { tone: "gray", text: "Off" };
  if (state.rolloutPercent === 100) return { tone: "green", text: "On · 100%" };
  if (state.rolloutPercent === 0) {
    if (state.rolloutSegments?.length || state.targeting?.strategies.length) return { tone: "indigo", text: "Targeted" };
    return { tone: "indigo", text: state.allowlist.length ? `Allowlist only (${state.allowlist.length})` : "On · 0%" };
  }
  return { tone: "amber", text: `Rolling out · ${state.rolloutPercent}%` };
}

export function FlagStateBadge({ state }: { state: FlagStateDto }) {
  const { tone, text } = flagStateSummary(state);
  return <Badge tone={tone}>{text}</Badge>;
}

export function PercentBar({ percent }: { percent: number }) {
  return (
    <div className="h-1.5 w-24 overflow-hidden rounded-full bg-slate-200" aria-hidden>
      <div className="h-full rounded-full bg-indigo-500" style={{ width: `${percent}%` }} />
    </div>
  );
}
