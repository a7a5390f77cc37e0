import type { Tx } from "../db/client";
import { enqueueNotification, type NotificationKind } from "../notifications";
import type { ApprovalDto, RolloutDto } from "./rollout-view";

/**
 * The workflow's outgoing webhooks, queued in the caller's transaction (so an action that rolls back
 * announces nothing) and sent by the delivery worker (so a slow receiver never slows the action).
 */
function notify(tx: Tx, r: RolloutDto, kind: NotificationKind, text: string, fields: Record<string, string> = {}) {
  const phase = r.phases[r.currentPhase];
  return enqueueNotification(tx, {
    environment: r.environment,
    // The rollout's communication plan decides who hears of its steps.
    webhookIds: r.notifyWebhookIds,
    kind,
    text,
    flagKey: r.flagKey,
    rolloutId: r.id,
    fields: {
      Flag: r.flagKey,
      Environment: r.environment,
      Status: r.status.replace("_", " "),
      ...(phase ? { Phase: `${phase.name} (${r.currentPhase + 1} of ${r.phases.length})` } : {}),
      ...fields,
    },
    data: { version: r.version, planVersion: r.planVersion, currentPhase: r.currentPhase },
  });
}

/** An engineer's explicit request (issue 24): who asked, whom, and why, on top of the automatic notice. */
export interface ApprovalRequestNotice {
  phaseIndex: number;
  by: string;
  /** Names of the product owners asked; empty when any may answer. */
  productOwners: string[];
  note: string | null;
}

/**
 * When the next phase needs signatures: tell product owners it waits for them. With `request`, an
 * engineer asked explicitly (perhaps again, perhaps for a later phase), so the notice names them and
 * the people they asked.
 */
export async function notifyApprovalRequested(tx: Tx, r: RolloutDto, request?: ApprovalRequestNotice): Promise<void> {
  const phaseIndex = request?.phaseIndex ?? r.currentPhase + 1;
  const next = r.phases[phaseIndex];
  if (!next || next.requiredApprovals === 0 || r.status === "completed" || r.status === "rolled_back") return;
  const asked = request?.productOwners.length ? ` (asked: ${request.productOwners.join(", ")})` : "";
  await notify(
    tx,
    r,
    "approval.requested",
    `${r.flagKey} in ${r.environment}: ${next.name} needs ${next.requiredApprovals} product owner approval${next.requiredApprovals > 1 ? "s" : ""}${asked}`,
    {
      "Requested by": request?.by ?? r.requester.name,
      ...(request ? { "Phase to approve": `${next.name} (${phaseIndex + 1} of ${r.phases.length})` } : {}),
      ...(request?.productOwners.length ? { "Product owners": request.productOwners.join(", ") } : {}),
      ...(request?.note ? { Note: request.note } : {}),
    },
  );
}

export async function notifyApprovalSigned(tx: Tx, r: RolloutDto, a: ApprovalDto): Promise<void> {
  const phase = r.phases[a.phaseIndex];
  await notify(
    tx,
    r,
    "approval.signed",
    `${a.signer.name} ${a.decision} ${phase?.name ?? `phase ${a.phaseIndex + 1}`} of ${r.flagKey} in ${r.environment}`,
    {
      Decision: a.decision,
      ...(a.conditions ? { Conditions: a.conditions } : {}),
      ...(a.reason ? { Reason: a.reason } : {}),
    },
  );
}

const TRANSITION_KIND = {
  advance: "rollout.advanced",
  pause: "rollout.paused",
  resume: "rollout.resumed",
  rollback: "rollout.rolled_back",
} as const;

export async function notifyTransition(
  tx: Tx,
  action: keyof typeof TRANSITION_KIND,
  after: RolloutDto,
  actor: string,
  reason?: string | null,
): Promise<void> {
  const phase = after.phases[after.currentPhase];
  const text =
    action === "advance"
      ? after.status === "completed"
        ? `${after.flagKey} in ${after.environment}: rollout completed by ${actor}`
        : `${after.flagKey} in ${after.environment} advanced to ${phase?.name} by ${actor}`
      : action === "rollback"
        ? `${after.flagKey} in ${after.environment} rolled back by ${actor}${reason ? `: ${reason}` : ""}`
        : `${after.flagKey} in ${after.environment} ${action === "pause" ? "paused" : "resumed"} by ${actor}`;
  await notify(tx, after, TRANSITION_KIND[action], text, { By: actor, ...(reason ? { Reason: reason } : {}) });
  if (action === "advance") await notifyApprovalRequested(tx, after);
}
