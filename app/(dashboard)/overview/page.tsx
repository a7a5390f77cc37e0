import type { Metadata } from "next";
import { Link } from "@/components/ui/link";
import { getDb } from "@/lib/db/client";
import { killedAmong, listKilledFlags } from "@/lib/flags/killed-flags";
import { countRollouts, listRollouts, MAX_LIST_LIMIT } from "@/lib/rollouts/list-rollouts";
import type { RolloutDto } from "@/lib/rollouts/rollout-view";
import { listIncidents } from "@/lib/incidents/incident-view";
import { loadConfigVersions } from "@/lib/evaluation/load-snapshot";
import { Badge } from "@/components/ui/badge";
import { LiveRefresh } from "@/components/live/live-refresh";
import { KillSwitchButton } from "@/components/incidents/kill-switch-button";
import { ErrorSparkline } from "@/components/metrics/sparkline";
import { requirePageUser } from "../../_request/session";
import { can } from "@/lib/auth/permissions";
import { utcMinute } from "@/lib/domain/utc-minute";

export const metadata: Metadata = { title: "Overview" };

const SEVERITY_TONE = { sev1: "red", sev2: "amber", sev3: "gray" } as const;
const STATUS_TONE = { draft: "indigo", active: "amber", paused: "gray", completed: "green", rolled_back: "red" } as const;

/** What serves traffic now (a draft does not). */
const LIVE_NOW = ["active", "paused"] as const;
/** Drafts named under the live rollouts; the rest are counted. */
const PLANNED_SHOWN = 20;

/** What on-call opens first: open incidents, killed flags, and every live rollout with its health. */
export default async function OverviewPage() {
  const user = await requirePageUser();
  const db = getDb();
  const versions = Object.fromEntries(await loadConfigVersions(db));
  // Bounded at any number of flags: a count and the first few killed flags, not the flag list.
  // A draft serves nothing yet: on-call sees it as planned, not among what is live, and drafts never
  // crowd a live rollout out of the list.
  const [killed, live, planned, incidents] = await Promise.all([
    listKilledFlags(db),
    listRollouts(db, user, { statuses: LIVE_NOW, limit: MAX_LIST_LIMIT }),
    listRollouts(db, user, { statuses: ["draft"], limit: PLANNED_SHOWN }),
    listIncidents(db, user),
  ]);
  // Counted only when a list is full: otherwise it holds them all.
  const [liveCount, plannedCount] = await Promise.all([
    live.length < MAX_LIST_LIMIT ? live.length : countRollouts(db, user, { statuses: LIVE_NOW }),
    planned.length < PLANNED_SHOWN ? planned.length : countRollouts(db, user, { statuses: ["draft"] }),
  ]);
  const canKill = can(user, "flag.kill");
  const liveKilled = await killedAmong(db, live);
  return (
    <div className="space-y-8">
      <LiveRefresh versions={versions} />
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Overview</h1>
        <p className="text-sm text-slate-500">
          Open incidents, killed flags and live rollouts. The kill switch button at the top (or Ctrl/⌘-K) kills any flag from anywhere.
        </p>
      </div>

      <section aria-labelledby="incidents-title" className="space-y-3">
        <h2 id="incidents-title" className="text-lg font-semibold">
          Open incidents ({incidents.length})
        </h2>
        {incidents.length === 0 ? (
          <p className="text-sm text-slate-500">None.</p>
        ) : (
          <ul className="space-y-2">
            {incidents.map((i) => (
              <li key={i.id} className="rounded-xl bg-white p-4 break-words shadow-sm ring-1 ring-red-200">
                <Link href={`/incidents/${i.id}`} className="font-medium text-red-800 hover:underline">
                  {i.title}
                </Link>{" "}
                <Badge tone={i.status === "open" ? "red" : "amber"}>{i.status}</Badge>{" "}
                <Badge tone={SEVERITY_TONE[i.severity]}>{i.severity}</Badge>
                <p className="text-sm text-slate-600">
                  {utcMinute(i.openedAt)} by {i.openedBy}: {i.reason}
                </p>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="killed-title" className="space-y-3">
        <h2 id="killed-title" className="text-lg font-semibold">
          Killed flags ({killed.total})
        </h2>
        {killed.total === 0 ? (
          <p className="text-sm text-slate-500">No flag is killed.</p>
        ) : (
          <ul className="grid gap-3 sm:grid-cols-2">
            {killed.shown.map((k) => (
              <li
                key={`${k.key}/${k.environment}`}
                className="flex min-w-0 flex-wrap items-center justify-between gap-3 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200"
              >
                <Link href={`/flags/${k.key}`} className="min-w-0 font-mono break-all text-indigo-700 hover:underline">
                  {k.key} <span className="font-sans text-slate-500">in {k.environment}</span>
                </Link>
                <ErrorSparkline flagKey={k.key} environment={k.environment} />
                {canKill ? <KillSwitchButton flagKey={k.key} environment={k.environment} killed /> : <Badge tone="red">Killed</Badge>}
              </li>
            ))}
          </ul>
        )}
        {killed.total > killed.shown.length ? (
          <p className="text-sm text-slate-600">
            {killed.total - killed.shown.length} more:{" "}
            <Link href="/flags?state=killed" className="text-indigo-700 hover:underline">
              every killed flag
            </Link>
          </p>
        ) : null}
      </section>

      <section aria-labelledby="rollouts-title" className="space-y-3">
        <h2 id="rollouts-title" className="text-lg font-semibold">
          Live rollouts ({liveCount})
        </h2>
        {liveCount > live.length ? (
          <p className="text-sm text-slate-600" data-testid="overview-rollouts-shown">
            The {live.length} newest of {liveCount} are shown.
          </p>
        ) : null}
        {liveCount === 0 ? (
          <p className="text-sm text-slate-500">No rollout in progress.</p>
        ) : (
          <ul className="space-y-3" data-testid="overview-rollouts">
            {live.map((r) => {
              const red = r.gates.filter((g) => !g.ok);
              const errorRate = r.metrics.requests ? r.metrics.errors / r.metrics.requests : null;
              return (
                <li key={r.id} className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
                  <div className="flex flex-wrap items-center justify-between gap-3">
                    <div className="min-w-0 break-words">
                      <Link href={`/rollouts/${r.id}`} className="font-mono font-medium text-indigo-700 hover:underline">
                        {r.flagKey}
                      </Link>{" "}
                      <span className="text-slate-500">in {r.environment}</span> <Badge tone={STATUS_TONE[r.status]}>{r.status}</Badge>
                      <p className="text-sm text-slate-600">
                        {r.currentPhase >= 0
                          ? `${r.phases[r.currentPhase]?.name} (${r.currentPhase + 1} of ${r.phases.length})`
                          : "not started"}{" "}
                        · {r.metrics.requests.toLocaleString("en-US")} requests in {Math.round(r.metrics.windowSeconds / 60)} min
                        {errorRate !== null ? ` · ${(errorRate * 100).toFixed(2)} % errors` : ""}
                        {r.metrics.p95Ms !== null ? ` · p95 ≤ ${r.metrics.p95Ms} ms` : ""} ·{" "}
                        <span className={red.length ? "text-red-700" : "text-emerald-700"}>
                          {red.length ? `${red.length} gate${red.length > 1 ? "s" : ""} red` : "all gates green"}
                        </span>
                      </p>
                    </div>
                    <ErrorSparkline flagKey={r.flagKey} environment={r.environment} />
                    {canKill ? (
                      <KillSwitchButton
                        flagKey={r.flagKey}
                        environment={r.environment}
                        killed={liveKilled.has(`${r.flagKey}/${r.environment}`)}
                        rolloutStatus={r.status}
                      />
                    ) : null}
                  </div>
                </li>
              );
            })}
          </ul>
        )}
        <PlannedRollouts planned={planned} count={plannedCount} />
      </section>
    </div>
  );
}

/** The drafts under the live rollouts: not started, so on-call reads them as planned. */
function PlannedRollouts({ planned, count }: { planned: RolloutDto[]; count: number }) {
  if (planned.length === 0) return null;
  return (
    <p className="text-sm text-slate-600" data-testid="overview-planned">
      Planned (draft, not started):{" "}
      {planned.map((r, i) => (
        <span key={r.id}>
          {i > 0 ? ", " : ""}
          <Link href={`/rollouts/${r.id}`} className="font-mono break-all text-indigo-700 hover:underline">
            {r.flagKey}
          </Link>{" "}
          in {r.environment}
        </span>
      ))}
      {count > planned.length ? `, and ${count - planned.length} more` : null}
    </p>
  );
}
