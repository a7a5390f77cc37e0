import Link from "next/link";
import type { FlagListItem } from "@/lib/flags/list-flag-page";
import type { RolloutDto } from "@/lib/rollouts/rollout-view";
import { flagStateSummary } from "./flag-state-badge";
import { flagsHref } from "./flag-list-url";
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

/**
 * One flag in the list. Lean on purpose (short classes from globals.css, text built as one string):
 * fifty of these, twice over with the RSC payload, are most of the page's bytes.
 */
export function FlagListRow({
  flag,
  environments,
  rolloutOf,
  now,
  select,
}: {
  flag: FlagListItem;
  environments: string[];
  rolloutOf: (flagKey: string, env: string) => RolloutDto | undefined;
  now: Date;
  /** The bulk-archive form's id, when the viewer may archive. */
  select?: string;
}) {
  return (
    <tr className="hover:bg-slate-50" data-testid={`flag-row-${flag.key}`}>
      {select ? (
        <td className="fl-td max-md:float-right">
          <input type="checkbox" name="keys" value={flag.key} form={select} aria-label={`Select ${flag.key}`} className="h-4 w-4" />
        </td>
      ) : null}
      <td className="fl-td break-words">
        <Link href={`/flags/${flag.key}`} className="fl-key">
          {flag.key}
        </Link>
        <div className="text-slate-500">{descriptionPreview(flag.description) || "—"}</div>
        {flag.owner || flag.tags.length || flag.stale ? (
          <div className="fl-meta">
            {flag.owner ? <span data-testid="flag-owner">{`Owner: ${flag.owner}`}</span> : null}
            {flag.tags.map((tag) => (
              <Link key={tag} href={flagsHref({}, { tag })} className="fl-tag">
                {`#${tag}`}
              </Link>
            ))}
            {flag.stale ? (
              <span className="fl-badge fl-amber" data-testid="stale-marker" title={STALE_TEXT[flag.stale]}>
                {`Potentially stale: ${STALE_TEXT[flag.stale]}`}
              </span>
            ) : null}
          </div>
        ) : null}
      </td>
      {environments.map((env) => {
        const state = flag.environments[env];
        const rollout = rolloutOf(flag.key, env);
        const summary = state ? flagStateSummary(state) : null;
        const at = flag.lastEvaluated[env] ?? null;
        return (
          <td key={env} className="fl-td">
            <span className="fl-label">{env}</span>
            {state && summary ? (
              <>
                <span className={`fl-badge fl-${summary.tone}`}>{summary.text}</span>
                <span className="fl-bar" aria-hidden>
                  <i style={{ width: `${state.enabled && !state.killed ? state.rolloutPercent : 0}%` }} />
                </span>
                {rollout ? (
                  <Link href={`/rollouts/${rollout.id}`} className="fl-note hover:underline">
                    {`Plan: ${
                      rollout.currentPhase >= 0
                        ? `${rollout.phases[rollout.currentPhase]?.name} (${rollout.currentPhase + 1}/${rollout.phases.length})`
                        : "not started"
                    } · ${rollout.status} · `}
                    <span className={rollout.gates.every((g) => g.ok) ? "text-emerald-700" : "text-red-700"}>
                      {`gates ${rollout.gates.filter((g) => g.ok).length}/${rollout.gates.length}`}
                    </span>
                  </Link>
                ) : null}
                {at ? (
                  <time dateTime={at} className="fl-note">
                    {evaluatedText(at, now)}
                  </time>
                ) : (
                  <span className="fl-note">{evaluatedText(at, now)}</span>
                )}
              </>
            ) : null}
          </td>
        );
      })}
    </tr>
  );
}
