import type { PastRollout } from "@/lib/rollouts/past-rollouts";
import { Badge } from "../ui/badge";
import { CellLabel, DataTable } from "../ui/data-table";
import { Link } from "../ui/link";
import { utcMinute } from "@/lib/domain/utc-minute";

const OUTCOME: Record<PastRollout["outcome"], { label: string; tone: "green" | "red" | "gray" }> = {
  completed: { label: "Completed", tone: "green" },
  rolled_back: { label: "Rolled back", tone: "red" },
  discarded: { label: "Discarded draft", tone: "gray" },
};

/** A phase called "10 %" or "100%" needs no "(10 %)" after its name. */
function namesPercent(phase: { name: string; percent: number }): boolean {
  return new RegExp(`(^|\\D)${phase.percent}\\s?%`).test(phase.name);
}

/**
 * A flag's ended rollouts, the most recently ended first: how far each got, how it ended, when, why
 * and by whom. Older ones than those shown are in the flag's history (the audit log).
 */
export function PastRollouts({ flagKey, rollouts, total }: { flagKey: string; rollouts: PastRollout[]; total: number }) {
  if (rollouts.length === 0) return null;
  return (
    <section className="space-y-3" aria-labelledby="past-rollouts-title">
      <div>
        <h2 id="past-rollouts-title" className="font-semibold">
          Past rollouts ({total})
        </h2>
        <p className="text-sm text-slate-500">
          {total > rollouts.length
            ? `The ${rollouts.length} that ended last: how far each got before it was completed or rolled back, and why.`
            : "How far each got before it was completed or rolled back, and why."}
        </p>
      </div>
      <DataTable
        columns={[
          "Environment",
          "Outcome",
          "Reached",
          "Ended",
          "Reason",
          <span key="open" className="sr-only">
            Rollout page
          </span>,
        ]}
        stack
      >
        {rollouts.map((r) => (
          <tr key={r.id} data-testid="past-rollout">
            <td className="px-4 py-3 font-medium">
              <CellLabel>Environment</CellLabel>
              {r.environment}
            </td>
            <td className="px-4 py-3 whitespace-nowrap">
              <CellLabel>Outcome</CellLabel>
              <Badge tone={OUTCOME[r.outcome].tone}>{OUTCOME[r.outcome].label}</Badge>
            </td>
            <td className="px-4 py-3">
              <CellLabel>Reached</CellLabel>
              {r.reached ? (
                <>
                  {r.reached.name}
                  {namesPercent(r.reached) ? null : <span className="text-slate-500"> ({r.reached.percent} %)</span>}
                  <span className="block text-xs whitespace-nowrap text-slate-500">
                    phase {r.reached.index + 1} of {r.phaseCount}
                  </span>
                </>
              ) : (
                <span className="text-slate-500">never started</span>
              )}
            </td>
            <td className="px-4 py-3 whitespace-nowrap">
              <CellLabel>Ended</CellLabel>
              {r.endedAt ? <time dateTime={r.endedAt}>{utcMinute(r.endedAt)}</time> : "—"}
              {r.endedBy ? <span className="block text-xs text-slate-500">by {r.endedBy}</span> : null}
            </td>
            <td className="max-w-md px-4 py-3 break-words text-slate-700">
              <CellLabel>Reason</CellLabel>
              {r.reason ?? <span className="text-slate-500">none given</span>}
            </td>
            <td className="px-4 py-3 text-right">
              <Link href={`/rollouts/${r.id}`} className="text-indigo-700 hover:underline">
                View<span className="sr-only"> the {r.environment} rollout</span>
              </Link>
            </td>
          </tr>
        ))}
      </DataTable>
      {total > rollouts.length ? (
        <p className="text-sm">
          <Link href={`/audit?target=${encodeURIComponent(flagKey)}&action=rollout`} className="text-indigo-700 hover:underline">
            {total - rollouts.length} earlier in the flag&apos;s history →
          </Link>
        </p>
      ) : null}
    </section>
  );
}
