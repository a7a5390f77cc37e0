import type { Tx } from "../db/client";
import { recordAudit } from "../audit/record-audit";
import { loadRollout, type RolloutDto } from "./rollout-view";
import { lockRollout } from "./lock-rollout";
import { notifyApprovalRequested } from "./rollout-notifications";

/** Who edited the segment, as the rollouts' audit entries and `lastEditedBy` name them. */
export interface SegmentEditor {
  userId: string;
  label: string;
}

/**
 * The live rollouts (drafts included) with a phase still to come that serves `segmentId`, locked and
 * read as they are before the segment changes. Taken before the segment's own update, whose trigger
 * bumps the environments' configuration versions (lib/db/lock-order.ts: rollouts come before that).
 */
export async function lockPlansServing(tx: Tx, segmentId: number, now: Date): Promise<RolloutDto[]> {
  const ids = await tx.$queryRaw<{ id: string }[]>`
    SELECT DISTINCT r.id::text AS id
      FROM rollouts r JOIN rollout_phases p ON p.rollout_id = r.id AND p.index > r.current_phase AND p.percent < 100
     WHERE r.status IN ('draft', 'active', 'paused') AND ${segmentId}::int = ANY(p.segments)
     ORDER BY 1`;
  const views: RolloutDto[] = [];
  for (const { id } of ids) {
    const { view } = await lockRollout(tx, id, { now });
    // Read again under the lock: a step that committed in between may have left it, or its phases to come may no longer serve the segment.
    if (servesLater(view, segmentId)) views.push(view);
  }
  return views;
}

/** A live plan with a phase still to come that serves the segment (at 100 % a phase serves everyone, segments aside). */
function servesLater(view: RolloutDto, segmentId: number): boolean {
  return (
    ["draft", "active", "paused"].includes(view.status) &&
    view.phases.some((p, i) => i > view.currentPhase && p.percent < 100 && (p.segments ?? []).includes(segmentId))
  );
}

/**
 * A segment's audience is part of every plan whose phases to come serve it: a change of who matches
 * is a change of those plans. Each gets a new plan version (its forms for phases to come are void and
 * asked for again, as after an edit of the plan itself) and a `rollout.edit` audit entry by the
 * segment's editor, whose `before` and `after` carry the audiences in words, so the approval form can
 * say what changed since a product owner signed. `before` are the plans as `lockPlansServing` read them.
 */
export async function replanForSegment(
  tx: Tx,
  before: readonly RolloutDto[],
  segment: { id: number; name: string },
  editor: SegmentEditor,
  now: Date,
): Promise<void> {
  for (const view of before) {
    await tx.rollout.update({
      where: { id: view.id },
      data: { version: { increment: 1 }, planVersion: { increment: 1 }, lastEditedBy: editor.userId, planChangedAt: now, updatedAt: now },
    });
    const after = await loadRollout(tx, view.id, now);
    const voided = after.approvals.filter((a) => a.state === "void").length - view.approvals.filter((a) => a.state === "void").length;
    const plan = (r: RolloutDto) => ({
      planVersion: r.planVersion,
      phases: r.phases.map((p) => ({ ...p, ticked: undefined })),
      impact: r.impact,
      autoAdvance: r.autoAdvance,
      requireEarlier: r.requireEarlier,
      notifyWebhookIds: r.notifyWebhookIds,
    });
    // Voided forms must be signed again: asked for before the audit entry, whose lock comes last.
    if (voided > 0) await notifyApprovalRequested(tx, after);
    await recordAudit(tx, {
      actor: { id: editor.userId, label: editor.label },
      action: "rollout.edit",
      target: { type: "rollout", id: `${view.flagKey}/${view.environment}/${view.id}` },
      before: plan(view),
      after: { ...plan(after), voidedApprovals: voided, segment: { id: segment.id, name: segment.name } },
      reason: `segment “${segment.name}” changed`,
    });
  }
}
