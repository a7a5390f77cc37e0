import type { Metadata } from "next";
import Link from "next/link";
import { getDb } from "@/lib/db/client";
import { listFlags } from "@/lib/flags/list-flags";
import { listEnvironmentKeys } from "@/lib/flags/environments";
import { listRollouts } from "@/lib/rollouts/list-rollouts";
import { loadConfigVersions } from "@/lib/evaluation/load-snapshot";
import { LiveRefresh } from "@/components/live/live-refresh";
import { FlagStateBadge, PercentBar } from "@/components/flags/flag-state-badge";
import { CreateFlagForm } from "@/components/flags/create-flag-form";
import { CellLabel, DataTable } from "@/components/ui/data-table";
import { controlOutline } from "@/components/ui/field";
import { requirePageUser } from "../../_request/session";
import { can } from "@/lib/auth/permissions";

export const metadata: Metadata = { title: "Flags" };

export default async function FlagsPage() {
  const user = await requirePageUser();
  const db = getDb();
  // Versions first: a change landing between the two reads then shows up as "newer", never as missed.
  const versions = Object.fromEntries(await loadConfigVersions(db));
  const [flags, environments, rollouts] = await Promise.all([listFlags(db), listEnvironmentKeys(db), listRollouts(db, user)]);
  const rolloutOf = (flagKey: string, env: string) => rollouts.find((r) => r.flagKey === flagKey && r.environment === env);
  return (
    <div className="space-y-6">
      <LiveRefresh versions={versions} />
      <div className="flex items-end justify-between">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Flags</h1>
          <p className="text-sm text-slate-500">
            {flags.length} flags across {environments.join(" and ")}
          </p>
        </div>
        {can(user, "flag.import") ? (
          <Link
            href="/admin/import"
            className={`rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-800 shadow-sm ${controlOutline} hover:bg-slate-50`}
          >
            Import from Unleash
          </Link>
        ) : null}
      </div>
      {can(user, "flag.create") ? (
        <section className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200">
          <h2 className="mb-3 text-sm font-semibold text-slate-700">New flag</h2>
          <CreateFlagForm />
        </section>
      ) : null}
      <DataTable
        stack
        columns={[
          "Flag",
          ...environments.map((env) => (
            <span key={env} className="capitalize">
              {env}
            </span>
          )),
        ]}
      >
        {flags.map((flag) => (
          <tr key={flag.key} className="hover:bg-slate-50" data-testid={`flag-row-${flag.key}`}>
            <td className="px-4 py-3 break-words">
              <Link href={`/flags/${flag.key}`} className="font-mono font-medium break-all text-indigo-700 hover:underline">
                {flag.key}
              </Link>
              <div className="text-slate-500">{flag.description || "—"}</div>
            </td>
            {environments.map((env) => {
              const state = flag.environments[env];
              const rollout = rolloutOf(flag.key, env);
              return (
                <td key={env} className="px-4 py-3">
                  <CellLabel>{env}</CellLabel>
                  {state ? (
                    <div className="space-y-1.5">
                      <FlagStateBadge state={state} />
                      <PercentBar percent={state.enabled && !state.killed ? state.rolloutPercent : 0} />
                      {rollout ? (
                        <Link href={`/rollouts/${rollout.id}`} className="block text-xs text-slate-600 hover:underline">
                          Plan:{" "}
                          {rollout.currentPhase >= 0
                            ? `${rollout.phases[rollout.currentPhase]?.name} (${rollout.currentPhase + 1}/${rollout.phases.length})`
                            : "not started"}{" "}
                          · {rollout.status} ·{" "}
                          <span className={rollout.gates.every((g) => g.ok) ? "text-emerald-700" : "text-red-700"}>
                            gates {rollout.gates.filter((g) => g.ok).length}/{rollout.gates.length}
                          </span>
                        </Link>
                      ) : null}
                    </div>
                  ) : null}
                </td>
              );
            })}
          </tr>
        ))}
        {flags.length === 0 ? (
          <tr>
            <td colSpan={environments.length + 1} className="px-4 py-10 text-center text-slate-500">
              No flags yet.
            </td>
          </tr>
        ) : null}
      </DataTable>
    </div>
  );
}
