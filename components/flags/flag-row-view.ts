import type { FlagListItem } from "@/lib/flags/list-flag-page";
import type { RolloutDto } from "@/lib/rollouts/rollout-view";
import { flagStateSummary } from "./flag-state-badge";
import { descriptionPreview } from "./description-preview";

const STALE_TEXT = {
  not_evaluated: "not evaluated for 30 days",
  fully_rolled_out: "at 100 % everywhere for 30 days",
} as const;

/** "today", "12 d ago": whole days are enough to judge staleness. */
function evaluatedText(at: string | null, now: Date): string {
  if (!at) return "Never evaluated";
  const days = Math.floor((now.getTime() - Date.parse(at)) / 86_400_000);
  return days <= 0 ? "Evaluated today" : `Evaluated ${days} d ago`;
}

/** One environment's cell, as text ready to show (no state: the flag has none there). */
export interface FlagCellView {
  env: string;
  state: FlagCellState | null;
}

export interface FlagCellState {
  badge: string;
  tone: string;
  /** Share of users served `on`, 0–100. */
  width: number;
  rollout: { id: string; text: string; gates: string; green: boolean } | null;
  /** Newest evaluated minute (ISO) and how the list says it. */
  at: string | null;
  evaluated: string;
}

/**
 * A flag as its list row shows it: only what the row renders, as strings, since these are the props
 * the page sends to the (client) row in its RSC payload. A whole FlagListItem per row, or the row
 * rendered on the server (its element tree travels beside its HTML), made the page's bytes grow with
 * every field; this keeps 50 rows well under the page's 200 KB.
 */
export interface FlagRowView {
  key: string;
  description: string;
  owner: string | null;
  tags: string[];
  stale: string | null;
  cells: FlagCellView[];
}

export function toFlagRowView(
  flag: FlagListItem,
  environments: string[],
  rolloutOf: (flagKey: string, env: string) => RolloutDto | undefined,
  now: Date,
): FlagRowView {
  return {
    key: flag.key,
    description: descriptionPreview(flag.description),
    owner: flag.owner,
    tags: flag.tags,
    stale: flag.stale ? STALE_TEXT[flag.stale] : null,
    cells: environments.map((env) => {
      const state = flag.environments[env];
      if (!state) return { env, state: null };
      const summary = flagStateSummary(state);
      const rollout = rolloutOf(flag.key, env);
      const at = flag.lastEvaluated[env] ?? null;
      return {
        env,
        state: {
          badge: summary.text,
          tone: summary.tone,
          width: state.enabled && !state.killed ? state.rolloutPercent : 0,
          rollout: rollout
            ? {
                id: rollout.id,
                text: `Plan: ${
                  rollout.currentPhase >= 0
                    ? `${rollout.phases[rollout.currentPhase]?.name} (${rollout.currentPhase + 1}/${rollout.phases.length})`
                    : "not started"
                } · ${rollout.status} · `,
                gates: `gates ${rollout.gates.filter((g) => g.ok).length}/${rollout.gates.length}`,
                green: rollout.gates.every((g) => g.ok),
              }
            : null,
          at,
          evaluated: evaluatedText(at, now),
        },
      };
    }),
  };
}
