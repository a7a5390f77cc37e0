import type { Metadata } from "next";
import { Link } from "@/components/ui/link";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { loadRollout } from "@/lib/rollouts/rollout-view";
import { phaseIndexParam, rolloutIdParam } from "@/lib/rollouts/rollout-params";
import { loadApprovalPacket } from "@/lib/rollouts/approval-packet";
import { GateList } from "@/components/rollouts/gate-list";
import { ApprovalForm } from "@/components/rollouts/approval-form";
import { changeInWords, reviewSections } from "@/components/rollouts/review-sections";
import { requirePageUser } from "../../../../../../_request/session";
import { can } from "@/lib/auth/permissions";
import { listApprovalRequests } from "@/lib/rollouts/request-approval";
import { withPhaseReach } from "@/lib/rollouts/phase-reach";
import { listPhaseComments } from "@/lib/rollouts/comment-on-phase";
import { PhaseComments } from "@/components/rollouts/phase-comments";
import { RolloutAutoRefresh } from "@/components/rollouts/rollout-auto-refresh";
import { loadConfigVersions } from "@/lib/evaluation/load-snapshot";
import { passingGateNames } from "@/lib/domain/rollout";

export const metadata: Metadata = { title: "Approval form" };

export default async function ApprovePage({ params }: { params: Promise<{ id: string; index: string }> }) {
  const user = await requirePageUser();
  const p = await params;
  const found = await (async () => {
    try {
      const rollout = await withPhaseReach(getDb(), await loadRollout(getDb(), rolloutIdParam(p.id)));
      return { rollout, index: phaseIndexParam(p.index) };
    } catch (err) {
      if (err instanceof AppError && err.code === "NOT_FOUND") notFound();
      throw err;
    }
  })();
  const { rollout, index } = found;
  const phase = rollout.phases[index];
  if (!phase) notFound();
  const [packet, requests, comments, configVersions] = await Promise.all([
    loadApprovalPacket(getDb(), rollout, index),
    listApprovalRequests(getDb(), user, [rollout.id]),
    listPhaseComments(getDb(), user, { rolloutId: rollout.id, phaseIndex: index }),
    loadConfigVersions(getDb()),
  ]);
  const mine = rollout.approvals.find((a) => a.phaseIndex === index && a.signer.id === user.userId && a.state !== "superseded");
  const refusal = !can(user, "rollout.approve")
    ? "Only product owners sign approval forms."
    : user.userId === rollout.requestedBy
      ? "You requested this rollout, so you cannot approve it: another product owner must."
      : rollout.planEditors.includes(user.userId)
        ? "You edited this plan, so you cannot approve it: another product owner must."
        : index <= rollout.currentPhase
          ? `${phase.name} has already started.`
          : rollout.status === "completed" || rollout.status === "rolled_back"
            ? "This rollout has ended."
            : null;
  return (
    <div className="space-y-6">
      {/* What the signer reviews stays what is there: a plan edit, another signature or a tick shows at once. */}
      <RolloutAutoRefresh
        rolloutId={rollout.id}
        flagKey={rollout.flagKey}
        environment={rollout.environment}
        configVersion={configVersions.get(rollout.environment) ?? 0}
      />
      <div>
        <Link href={`/rollouts/${rollout.id}`} className="text-sm text-slate-500 hover:text-slate-700">
          ← Rollout of {rollout.flagKey}
        </Link>
        <h1 className="mt-1 text-2xl font-semibold tracking-tight">Product owner approval: {phase.name}</h1>
        <p className="text-sm text-slate-600" data-testid="approval-change">
          <span className="font-mono">{rollout.flagKey}</span> in <span className="capitalize">{rollout.environment}</span>:{" "}
          {changeInWords(packet.change).before} → <strong>{changeInWords(packet.change).after}</strong> · requested by{" "}
          {rollout.requester.name} · plan v{rollout.planVersion}
        </p>
      </div>
      <PhaseComments
        rolloutId={rollout.id}
        phaseIndex={index}
        phaseName={phase.name}
        requests={requests.filter((r) => r.phaseIndex === index)}
        comments={comments}
        canComment={can(user, "rollout.comment")}
      />
      {index === rollout.currentPhase + 1 ? <GateList gates={rollout.gates} title={`Live gates for ${phase.name}`} /> : null}
      <section className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200" aria-labelledby="sign-title">
        <h2 id="sign-title" className="font-semibold">
          {mine && mine.planVersion === rollout.planVersion ? "Replace your form" : "Your decision"}
        </h2>
        <div className="mt-4">
          {refusal ? (
            <p className="text-sm text-red-700" role="alert" data-testid="approval-refused">
              {refusal}
            </p>
          ) : (
            <ApprovalForm
              rolloutId={rollout.id}
              phaseIndex={index}
              sections={reviewSections(rollout, index, packet)}
              signerName={user.name}
              supersedes={mine && mine.planVersion === rollout.planVersion ? mine.id : undefined}
              planVersion={rollout.planVersion}
              // Only the next phase's form shows the live gates, so only it vouches for them.
              passingGates={index === rollout.currentPhase + 1 ? passingGateNames(rollout.gates) : []}
            />
          )}
        </div>
      </section>
    </div>
  );
}
