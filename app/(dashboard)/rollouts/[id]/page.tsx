import type { Metadata } from "next";
import { Link } from "@/components/ui/link";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { listAudit } from "@/lib/audit/list-audit";
import { loadRollout, type RolloutDto } from "@/lib/rollouts/rollout-view";
import { withPhaseReach } from "@/lib/rollouts/phase-reach";
import { rolloutIdParam } from "@/lib/rollouts/rollout-params";
import { getFlag } from "@/lib/flags/get-flag";
import type { FlagStateDto } from "@/lib/flags/flag-dto";
import { loadConfigVersions } from "@/lib/evaluation/load-snapshot";
import { formatDuration, rolloutOutcome, type RolloutOutcome } from "@/lib/domain/rollout";
import { Badge } from "@/components/ui/badge";
import { GateList } from "@/components/rollouts/gate-list";
import { ApprovalsList } from "@/components/rollouts/approvals-list";
import { PhaseTimeline, type StepRecord } from "@/components/rollouts/phase-timeline";
import { RolloutActions } from "@/components/rollouts/rollout-actions";
import { Checklist } from "@/components/rollouts/checklist";
import { RolloutAutoRefresh } from "@/components/rollouts/rollout-auto-refresh";
import { PlanEditor } from "@/components/rollouts/plan-editor";
import { KillSwitchButton } from "@/components/incidents/kill-switch-button";
import { MetricsCharts } from "@/components/metrics/metrics-charts";
import { ComparisonChart } from "@/components/metrics/comparison-chart";
import { getRolloutComparison } from "@/lib/metrics/get-rollout-comparison";
import { requirePageUser } from "../../../_request/session";
import { can } from "@/lib/auth/permissions";
import { listApprovalRequests, listProductOwners, type ApprovalRequestDto } from "@/lib/rollouts/request-approval";
import { listPhaseComments } from "@/lib/rollouts/comment-on-phase";
import { RequestApprovalForm } from "@/components/rollouts/request-approval-form";
import { PhaseComments } from "@/components/rollouts/phase-comments";
import { webhookChoices, type WebhookChoice } from "@/lib/rollouts/communication-plan";
import { exposureSentence, describeRecipients } from "@/lib/domain/approval-review";
import { listSegments } from "@/lib/segments/list-segments";
import { FormSuccess } from "@/components/ui/form-message";
import { utcMinute } from "@/lib/domain/utc-minute";

export const metadata: Metadata = { title: "Rollout" };

const STATUS_TONE = { draft: "indigo", active: "amber", paused: "gray", completed: "green", rolled_back: "red" } as const;
const ENDED: Record<RolloutOutcome, string> = { completed: "Completed", rolled_back: "Rolled back", discarded: "Discarded" };

export default async function RolloutPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ signed?: string }>;
}) {
  const user = await requirePageUser();
  const db = getDb();
  const rollout = await (async () => {
    try {
      return await withPhaseReach(db, await loadRollout(db, rolloutIdParam((await params).id)));
    } catch (err) {
      if (err instanceof AppError && err.code === "NOT_FOUND") notFound();
      throw err;
    }
  })();
  const [flag, history, comparison] = await Promise.all([
    getFlag(db, rollout.flagKey).catch(() => null),
    listAudit(db, user, { limit: 200, target: `${rollout.flagKey}/${rollout.environment}/${rollout.id}` }),
    getRolloutComparison(db, rollout.id),
  ]);
  const steps: StepRecord[] = history.entries
    .filter((e) => e.action === "rollout.advance")
    .map((e) => ({ phase: (e.after as { currentPhase: number }).currentPhase, by: e.actor, at: e.at }));
  const next = rollout.phases[rollout.currentPhase + 1];
  const current = rollout.phases[rollout.currentPhase];
  const isPo = can(user, "rollout.approve");
  const mayApprove = isPo && user.userId !== rollout.requestedBy && !rollout.planEditors.includes(user.userId);
  const live = rollout.status === "draft" || rollout.status === "active" || rollout.status === "paused";
  const signed = (await searchParams).signed === "1";
  const envState = flag?.environments[rollout.environment];
  const mayRequest = live && !!next && next.requiredApprovals > 0 && can(user, "rollout.request_approval");
  const mayEdit = live && can(user, "rollout.edit");
  const [requests, comments, productOwners, webhooks, segments] = await Promise.all([
    listApprovalRequests(db, user, [rollout.id]),
    next ? listPhaseComments(db, user, { rolloutId: rollout.id, phaseIndex: next.index }) : [],
    mayRequest ? listProductOwners(db, user) : [],
    webhookChoices(db, rollout.environment),
    mayEdit ? listSegments(db) : [],
  ]);
  const nextRequests = next ? requests.filter((r) => r.phaseIndex === next.index) : [];
  const configVersion = (await loadConfigVersions(db)).get(rollout.environment) ?? 0;
  return (
    <div className="space-y-6">
      <RolloutAutoRefresh
        rolloutId={rollout.id}
        flagKey={rollout.flagKey}
        environment={rollout.environment}
        configVersion={configVersion}
      />
      <RolloutHeader rollout={rollout} current={current} envState={envState} signed={signed} />

      {envState && can(user, "flag.kill") ? <RolloutKillSwitch rollout={rollout} killed={envState.killed} /> : null}
      {live ? (
        <RolloutActions
          rollout={rollout}
          canEngineer={can(user, "rollout.advance")}
          canRollback={can(user, "rollout.rollback")}
          isAdmin={can(user, "rollout.advance.override")}
          mayWiden={can(user, "rollout.rollback.widen")}
          flagNow={
            envState
              ? {
                  enabled: envState.enabled,
                  rolloutPercent: envState.rolloutPercent,
                  allowlist: envState.allowlist,
                  rolloutSegments: envState.rolloutSegments,
                }
              : undefined
          }
        />
      ) : null}

      <div className="grid gap-6 lg:grid-cols-2">
        <section className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200" aria-labelledby="plan-title">
          <h2 id="plan-title" className="font-semibold">
            Plan
          </h2>
          <div className="mt-3">
            <PhaseTimeline phases={rollout.phases} currentPhase={rollout.currentPhase} status={rollout.status} steps={steps} />
          </div>
          {rollout.requireEarlier ? (
            <p className="mt-3 text-sm text-slate-600" data-testid="require-earlier">
              Every step requires the environment before this one: rollout completed, ≥ {rollout.requireEarlier.hoursAtFull} h at 100 %, no
              incident.
            </p>
          ) : null}
          <CommunicationSummary rollout={rollout} webhooks={webhooks} />
        </section>
        <div className="space-y-6">
          {live ? <GateList gates={rollout.gates} title={next ? `Gates for ${next.name}` : "Gates for completing"} /> : null}
          {live && next ? (
            <section className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200" aria-labelledby="checklist-title">
              <h2 id="checklist-title" className="font-semibold">
                Checklist for {next.name}
              </h2>
              <div className="mt-3">
                <Checklist rolloutId={rollout.id} phase={next} canTick={can(user, "rollout.checklist")} />
              </div>
            </section>
          ) : null}
        </div>
      </div>

      <ApprovalsSection
        rollout={rollout}
        next={live ? next : undefined}
        mayApprove={mayApprove}
        isPo={isPo}
        requests={nextRequests}
        productOwners={
          // Only those who may sign: the API refuses the requester and plan editors.
          mayRequest ? productOwners.filter((p) => p.id !== rollout.requestedBy && !rollout.planEditors.includes(p.id)) : null
        }
      />
      {next ? (
        <PhaseComments
          rolloutId={rollout.id}
          phaseIndex={next.index}
          phaseName={next.name}
          requests={nextRequests}
          comments={comments}
          canComment={can(user, "rollout.comment")}
        />
      ) : null}

      {mayEdit ? (
        <PlanEditor
          // Its rows are the phases still to come when it mounted: a step taken on this page (the
          // page refreshes in place) starts it anew, or it would offer the started phase as the next.
          key={rollout.currentPhase}
          rollout={rollout}
          webhooks={webhooks}
          segments={segments.map(({ id, name, constraints }) => ({ id, name, constraints }))}
        />
      ) : null}

      <ImpactSection impact={rollout.impact as Impact} />

      {rollout.overrides.length ? <OverridesSection overrides={rollout.overrides} /> : null}
      <ComparisonChart comparison={comparison} rolloutId={rollout.id} flagKey={rollout.flagKey} environment={rollout.environment} />
      <MetricsCharts flagKey={rollout.flagKey} environments={[rollout.environment]} thresholds={current?.criteria} />
    </div>
  );
}

type Phase = RolloutDto["phases"][number];
type Impact = { riskLevel?: string; benefits?: string; risks?: string; links?: string[] };

function RolloutHeader({
  rollout,
  current,
  envState,
  signed,
}: {
  rollout: RolloutDto;
  current: Phase | undefined;
  envState: FlagStateDto | undefined;
  signed: boolean;
}) {
  const outcome = rolloutOutcome(rollout.status, rollout.currentPhase);
  return (
    <div>
      <Link href={`/flags/${rollout.flagKey}`} className="text-sm text-slate-500 hover:text-slate-700">
        ← {rollout.flagKey}
      </Link>
      <div className="mt-1 flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold tracking-tight">
          Rollout of <span className="font-mono">{rollout.flagKey}</span> in <span className="capitalize">{rollout.environment}</span>
        </h1>
        <Badge tone={STATUS_TONE[rollout.status]}>{rollout.status.replace("_", " ")}</Badge>
        {rollout.autoAdvance ? <Badge tone="indigo">advances automatically</Badge> : null}
      </div>
      <p className="text-sm text-slate-500">
        Requested by {rollout.requester.name} · plan v{rollout.planVersion} · version{" "}
        <span data-testid="rollout-version">{rollout.version}</span>
        {current && (rollout.status === "active" || rollout.status === "paused")
          ? ` · in ${current.name} for ${formatDuration(rollout.phaseElapsedSeconds)}`
          : ""}
        {envState ? ` · flag now ${exposureSentence(envState)}` : ""}
      </p>
      {rollout.endedAt && outcome ? (
        <p className="mt-1 text-sm text-slate-700" data-testid="rollout-ended">
          {ENDED[outcome]} <time dateTime={rollout.endedAt}>{utcMinute(rollout.endedAt)}</time>
          {rollout.endedReason ? `: ${rollout.endedReason}` : ""}
        </p>
      ) : null}
      {signed ? <FormSuccess className="mt-2">Your form is signed and recorded.</FormSuccess> : null}
    </div>
  );
}

/** Signed forms so far and, while the rollout is live, who may sign for the next phase. */
function ApprovalsSection({
  rollout,
  next,
  mayApprove,
  isPo,
  requests,
  productOwners,
}: {
  rollout: RolloutDto;
  /** The next phase, while the rollout is live. */
  next: Phase | undefined;
  mayApprove: boolean;
  isPo: boolean;
  /** Requests for the next phase's approval, oldest first. */
  requests: ApprovalRequestDto[];
  /** Whom an engineer may ask; null when this user may not ask. */
  productOwners: { id: string; name: string; email: string }[] | null;
}) {
  const last = requests.at(-1);
  return (
    <section className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200" aria-labelledby="approvals-title">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="approvals-title" className="font-semibold">
          Approvals
        </h2>
        {next && next.requiredApprovals > 0 ? (
          mayApprove ? (
            <Link
              href={`/rollouts/${rollout.id}/phases/${next.index}/approve`}
              className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-700"
            >
              Review and sign for {next.name}
            </Link>
          ) : isPo ? (
            <p className="text-sm text-slate-500">You requested or edited this plan, so another product owner must approve it.</p>
          ) : (
            <p className="text-sm text-slate-500">
              {next.name} needs {next.requiredApprovals} approval{next.requiredApprovals > 1 ? "s" : ""} from a product owner.
            </p>
          )
        ) : null}
      </div>
      {next && next.requiredApprovals > 0 && last ? (
        <p className="mt-2 text-sm text-slate-600" data-testid="approval-requested">
          {last.requestedBy.name} requested approval{" "}
          {last.productOwners.length ? `from ${last.productOwners.map((p) => p.name).join(", ")}` : "from any product owner"} on{" "}
          {utcMinute(last.requestedAt)}
          {requests.length > 1 ? ` (${requests.length} requests in all)` : ""}.
        </p>
      ) : null}
      {next && productOwners ? (
        <div className="mt-3 border-t border-slate-100 pt-3">
          <h3 className="text-sm font-semibold">Request approval</h3>
          <div className="mt-2">
            <RequestApprovalForm rolloutId={rollout.id} phaseIndex={next.index} phaseName={next.name} productOwners={productOwners} />
          </div>
        </div>
      ) : null}
      <div className="mt-3">
        <ApprovalsList approvals={rollout.approvals} phases={rollout.phases} planChangedAtVersion={rollout.planVersion} />
      </div>
    </section>
  );
}

/** Who hears of the rollout's steps, as the plan says (the approval form has the details). */
function CommunicationSummary({ rollout, webhooks }: { rollout: RolloutDto; webhooks: WebhookChoice[] }) {
  const names = new Map(webhooks.map((w) => [w.id, w.name]));
  return (
    <p className="mt-3 text-sm break-words text-slate-600" data-testid="communication-plan">
      {webhooks.length === 0
        ? `Communication: no webhooks in ${rollout.environment}, nobody is notified.`
        : `Communication: each step is posted to ${describeRecipients(rollout.notifyWebhookIds, names)}${rollout.notifyWebhookIds === null ? ` of ${rollout.environment}` : ""}; kill and guardrail notices to every enabled webhook.`}
    </p>
  );
}

function ImpactSection({ impact }: { impact: Impact }) {
  return (
    <section className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200" aria-labelledby="impact-title">
      <h2 id="impact-title" className="font-semibold">
        Impact assessment
      </h2>
      <dl className="mt-3 grid gap-2 text-sm sm:grid-cols-[8rem_1fr]">
        <dt className="text-slate-500">Risk level</dt>
        <dd className="capitalize">{impact.riskLevel ?? "not stated"}</dd>
        <dt className="text-slate-500">Benefits</dt>
        <dd className="whitespace-pre-line">{impact.benefits || "—"}</dd>
        <dt className="text-slate-500">Risks</dt>
        <dd className="whitespace-pre-line">{impact.risks || "—"}</dd>
        <dt className="text-slate-500">Links</dt>
        <dd>
          {impact.links?.length
            ? impact.links.map((l) => (
                <a key={l} href={l} className="mr-3 break-all text-indigo-700 hover:underline" rel="noreferrer noopener" target="_blank">
                  {l}
                </a>
              ))
            : "—"}
        </dd>
      </dl>
    </section>
  );
}

function OverridesSection({ overrides }: { overrides: RolloutDto["overrides"] }) {
  return (
    <section className="rounded-xl bg-amber-50 p-5 ring-1 ring-amber-200" aria-labelledby="overrides-title">
      <h2 id="overrides-title" className="font-semibold text-amber-900">
        Overrides
      </h2>
      <ul className="mt-2 space-y-1 text-sm break-words text-amber-900" data-testid="overrides">
        {overrides.map((o) => (
          <li key={o.at}>
            {utcMinute(o.at)} — {o.by}{" "}
            {o.kind === "manual_change"
              ? `changed the flag by hand (${describeState(o.before)} → ${describeState(o.after)}) ${o.paused ? " and paused the rollout" : ""}`
              : `advanced past ${o.gates.filter((g) => !g.ok).length} red gate(s)`}
            : “{o.reason}”
          </li>
        ))}
      </ul>
    </section>
  );
}

function describeState(s: { enabled: boolean; rolloutPercent: number; allowlist: string[] }): string {
  if (!s.enabled) return "off";
  return s.rolloutPercent === 0 ? `on for ${s.allowlist.length} allowlisted` : `on for ${s.rolloutPercent} %`;
}

/** The kill switch of the rollout's flag and environment; what its dialog says of the rollout follows the rollout's status. */
function RolloutKillSwitch({ rollout, killed }: { rollout: RolloutDto; killed: boolean }) {
  return <KillSwitchButton flagKey={rollout.flagKey} environment={rollout.environment} killed={killed} rolloutStatus={rollout.status} />;
}
