import type { Metadata } from "next";
import { Link } from "@/components/ui/link";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/db/client";
import { getFlag } from "@/lib/flags/get-flag";
import { isGuardedEnvironment } from "@/lib/flags/environments";
import { FLAG_KEY_PATTERN } from "@/lib/flags/flag-schemas";
import { AppError } from "@/lib/errors";
import { FlagStateEditor } from "@/components/flags/flag-state-editor";
import { TargetingSection } from "@/components/targeting/targeting-section";
import { listSegments } from "@/lib/segments/list-segments";
import { RolloutProgress } from "@/components/rollouts/rollout-progress";
import { PastRollouts } from "@/components/rollouts/past-rollouts";
import { loadConfigVersions } from "@/lib/evaluation/load-snapshot";
import { FlagChangeNotice } from "@/components/live/flag-change-notice";
import { FlagSettings } from "@/components/flags/flag-settings";
import { KillSwitchButton } from "@/components/incidents/kill-switch-button";
import { GuardrailsPanel } from "@/components/incidents/guardrails-panel";
import { getComparison, listGuardrails } from "@/lib/guardrails/guardrails";
import { listRollouts } from "@/lib/rollouts/list-rollouts";
import { listPastRollouts } from "@/lib/rollouts/past-rollouts";
import { MetricsCharts } from "@/components/metrics/metrics-charts";
import { VariantComparison } from "@/components/metrics/variant-comparison";
import { configuredVariants } from "@/lib/domain/variant-comparison";
import { ReportedBy } from "@/components/metrics/contributions-table";
import { listContributions } from "@/lib/metrics/list-contributions";
import { controlOutline } from "@/components/ui/field";
import { requirePageUser } from "../../../_request/session";
import { can } from "@/lib/auth/permissions";

export async function generateMetadata({ params }: { params: Promise<{ key: string }> }): Promise<Metadata> {
  const key = (await params).key;
  return { title: FLAG_KEY_PATTERN.test(key) ? key : "Flag" };
}

/** Who reported what for the flag over the last 24 h, per environment (admins only). */
function lastDayContributions(user: Parameters<typeof listContributions>[1], flagKey: string, environments: string[]) {
  const to = new Date();
  const from = new Date(to.getTime() - 24 * 3600 * 1000);
  return Promise.all(environments.map((environment) => listContributions(getDb(), user, { flag: flagKey, environment, from, to })));
}

export default async function FlagPage({ params }: { params: Promise<{ key: string }> }) {
  const { key } = await params;
  const user = await requirePageUser();
  // Versions first: a change landing between the two reads then shows up as "newer", never as missed.
  const configVersions = Object.fromEntries(await loadConfigVersions(getDb()));
  const flag = await getFlag(getDb(), key).catch((err: unknown) => {
    if (err instanceof AppError && err.code === "NOT_FOUND") notFound();
    throw err;
  });
  const canEdit = can(user, "flag.update");
  const canKill = can(user, "flag.kill");
  const canGuard = can(user, "guardrails.update");
  const guardrails = await Promise.all(
    Object.keys(flag.environments).map(async (env) => {
      const target = { flagKey: flag.key, environment: env };
      return [env, await listGuardrails(getDb(), user, target), await getComparison(getDb(), user, target)] as const;
    }),
  );
  const [rollouts, past] = await Promise.all([
    listRollouts(getDb(), user, { flagKey: flag.key }),
    listPastRollouts(getDb(), user, flag.key),
  ]);
  const segments = (await listSegments(getDb())).map(({ id, name, constraints }) => ({ id, name, constraints }));
  const liveRolloutIn = (env: string) => {
    // Active or paused: such a rollout has set the flag's state, and hand edits would contradict it.
    const r = rollouts.find((x) => x.environment === env && (x.status === "active" || x.status === "paused"));
    return r ? { id: r.id, status: r.status, phase: r.phases[r.currentPhase]?.name ?? null } : null;
  };
  // Engineers edit every state; an admin who is no engineer only where a live rollout makes it an override.
  const canEditState = (env: string) => can(user, "flag_state.update") || (can(user, "flag_state.override") && !!liveRolloutIn(env));
  const isAdmin = can(user, "metrics.contributions");
  const contributions = isAdmin ? await lastDayContributions(user, flag.key, Object.keys(flag.environments)) : [];
  const versions = Object.fromEntries(Object.entries(flag.environments).map(([env, state]) => [env, state.version]));
  return (
    <div className="space-y-6">
      <div>
        <Link href="/flags" className="text-sm text-slate-500 hover:text-slate-700">
          ← Flags
        </Link>
        <h1 className="mt-1 font-mono text-2xl font-semibold tracking-tight">{flag.key}</h1>
        <p className="text-sm text-slate-500">{flag.description || "No description"}</p>
      </div>
      <FlagChangeNotice
        key={JSON.stringify([versions, configVersions])}
        flagKey={flag.key}
        versions={versions}
        configVersions={configVersions}
        // Whoever may be typing into a form here is offered the newer version; a refresh would drop the draft.
        autoRefresh={!canEdit && !Object.keys(flag.environments).some(canEditState)}
      />
      {canKill ? (
        <section className="rounded-xl bg-red-50/60 p-4 ring-1 ring-red-200" aria-labelledby="kill-title">
          <h2 id="kill-title" className="text-sm font-semibold text-red-900">
            Kill switch
          </h2>
          <div className="mt-2 flex flex-wrap gap-4">
            {Object.entries(flag.environments).map(([env, state]) => (
              <KillSwitchButton
                key={env}
                flagKey={flag.key}
                environment={env}
                killed={state.killed}
                rolloutStatus={liveRolloutIn(env)?.status ?? null}
              />
            ))}
          </div>
        </section>
      ) : null}
      {rollouts.map((r) => (
        <RolloutProgress key={r.id} rollout={r} />
      ))}
      {canEdit ? (
        <p>
          <Link
            href={`/flags/${flag.key}/new-rollout`}
            className={`inline-flex rounded-md bg-white px-3 py-2 text-sm font-semibold text-indigo-700 shadow-sm ${controlOutline} hover:bg-slate-50`}
          >
            Plan a staged rollout…
          </Link>
        </p>
      ) : null}
      <div className="grid gap-6 lg:grid-cols-2">
        {Object.entries(flag.environments).map(([env, state]) => (
          <FlagStateEditor
            key={env}
            flagKey={flag.key}
            environment={env}
            state={state}
            canEdit={canEditState(env)}
            guarded={isGuardedEnvironment(env)}
            liveRollout={liveRolloutIn(env)}
          />
        ))}
      </div>
      <TargetingSection
        flagKey={flag.key}
        flagGroup={flag.bucketGroup}
        environments={flag.environments}
        segments={segments}
        canEdit={canEdit}
        guarded={isGuardedEnvironment}
      />
      <section className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200" aria-labelledby="guardrails-title">
        <h2 id="guardrails-title" className="font-semibold">
          Guardrails
        </h2>
        <p className="text-sm text-slate-500">
          Thresholds on the <code>on</code> traffic that act by themselves (notify, pause, roll back or kill), evaluated every few seconds.
        </p>
        <div className="mt-3 grid gap-6 lg:grid-cols-2">
          {guardrails.map(([env, list, comparison]) => (
            <GuardrailsPanel key={env} flagKey={flag.key} environment={env} guardrails={list} comparison={comparison} canEdit={canGuard} />
          ))}
        </div>
      </section>
      {canEdit ? (
        <FlagSettings
          flagKey={flag.key}
          description={flag.description}
          owner={flag.owner}
          tags={flag.tags}
          rawEventSamplePercent={flag.rawEventSamplePercent}
          version={flag.version}
        />
      ) : null}
      <PastRollouts flagKey={flag.key} rollouts={past.rollouts} total={past.total} />
      <p className="text-sm">
        <Link href={`/audit?target=${encodeURIComponent(flag.key)}`} className="text-indigo-700 hover:underline">
          History of this flag →
        </Link>
      </p>
      <MetricsCharts flagKey={flag.key} environments={Object.keys(flag.environments)} />
      <VariantComparison flagKey={flag.key} variantsByEnvironment={variantsOf(flag.environments)} />
      {isAdmin ? <ReportedBy contributions={contributions} /> : null}
    </div>
  );
}

/** The variants each environment serves (the Variants section shows those that have some). */
function variantsOf(environments: Record<string, { targeting: unknown }>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(environments).map(([env, state]) => [env, configuredVariants(state.targeting)]));
}
