import type { ApprovalDto, PhaseDto } from "@/lib/rollouts/rollout-view";
import { Badge } from "../ui/badge";
import { utcMinute } from "@/lib/domain/utc-minute";

const DECISION_TONE = { approved: "green", conditional: "amber", rejected: "red" } as const;

/** Every signed form, newest first: signer, decision, conditions or reason, and whether it still counts. */
export function ApprovalsList({
  approvals,
  phases,
  planChangedAtVersion,
}: {
  approvals: ApprovalDto[];
  phases: PhaseDto[];
  planChangedAtVersion: number;
}) {
  if (approvals.length === 0) return <p className="text-sm text-slate-500">No forms signed yet.</p>;
  return (
    <ul className="divide-y divide-slate-100" data-testid="approvals">
      {[...approvals].reverse().map((a) => (
        <li key={a.id} className={`py-3 text-sm ${a.state === "live" ? "" : "opacity-70"}`} data-state={a.state}>
          <div className="flex flex-wrap items-center gap-2">
            <span className="font-medium">{a.signer.name}</span>
            <Badge tone={DECISION_TONE[a.decision]}>{a.decision}</Badge>
            <span className="text-slate-500">
              for {phases[a.phaseIndex]?.name ?? `phase ${a.phaseIndex + 1}`} · risk {a.riskLevel} · plan v{a.planVersion}
            </span>
            {a.state === "void" ? <Badge tone="gray">void: plan changed at v{planChangedAtVersion}</Badge> : null}
            {a.state === "superseded" ? <Badge tone="gray">superseded by a newer form</Badge> : null}
          </div>
          {a.conditions ? <p className="mt-1 text-slate-700">Conditions: {a.conditions}</p> : null}
          {a.reason ? <p className="mt-1 text-slate-700">Reason: {a.reason}</p> : null}
          <p className="mt-1 text-xs text-slate-500">
            Signed “{a.signature}” {utcMinute(a.signedAt)} · reviewed {a.reviewed.join(", ")} ·{" "}
            <span className="font-mono" title="SHA-256 over the form, the plan and the metrics the signer saw">
              {a.contentHash.slice(0, 12)}…
            </span>
          </p>
        </li>
      ))}
    </ul>
  );
}
