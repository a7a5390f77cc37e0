import type { Db } from "../db/client";
import { requireUser, type Principal } from "../auth/principal";
import { LIVE_STATUSES } from "../domain/rollout";
import { rolloutInclude, rolloutViews, type RolloutDto } from "./rollout-view";
import { can } from "../auth/permissions";
import { listApprovalRequests, type ApprovalRequestDto } from "./request-approval";

/** Rollouts, newest first: live ones only unless `all`; optionally for one flag. */
export async function listRollouts(
  db: Db,
  principal: Principal | null,
  query: { flagKey?: string; all?: boolean; limit?: number } = {},
): Promise<RolloutDto[]> {
  requireUser(principal);
  const rows = await db.rollout.findMany({
    where: { ...(query.all ? {} : { status: { in: [...LIVE_STATUSES] } }), ...(query.flagKey ? { flag: { key: query.flagKey } } : {}) },
    orderBy: { createdAt: "desc" },
    take: query.limit ?? 50,
    include: rolloutInclude,
  });
  return rolloutViews(db, rows);
}

export interface InboxItem {
  rollout: RolloutDto;
  phaseIndex: number;
  phaseName: string;
  /** Engineers' requests for this phase, oldest first (issue 24). */
  requests: ApprovalRequestDto[];
  /** The first request for the phase, or else when the phase before it started: how long it has waited. */
  waitingSince: string | null;
  /** Seconds from `waitingSince` to when the inbox was read. */
  waitingSeconds: number | null;
  /** Some request named this product owner (rather than any product owner, or others). */
  askedYou: boolean;
}

/**
 * What waits for a product owner: each live rollout whose next phase needs approvals that this person
 * has not given on the current plan version, and which they may sign (not requested by them, nor
 * with any version of the plan edited by them). Those that named them come first, then the longest waiting.
 */
export async function approvalInbox(
  db: Db,
  principal: Principal | null,
  now = new Date(),
  /** The live rollouts when the caller has just listed them (the approvals page shows both). */
  live?: readonly RolloutDto[],
): Promise<InboxItem[]> {
  const user = requireUser(principal);
  if (!can(user, "rollout.approve")) return [];
  const rollouts = live ?? (await listRollouts(db, principal));
  const waiting = rollouts.flatMap((rollout) => {
    const phaseIndex = rollout.currentPhase + 1;
    const phase = rollout.phases[phaseIndex];
    if (!phase || phase.requiredApprovals === 0) return [];
    if (rollout.requestedBy === user.userId || rollout.planEditors.includes(user.userId)) return [];
    const signed = rollout.approvals.some((a) => a.phaseIndex === phaseIndex && a.signer.id === user.userId && a.state === "live");
    return signed ? [] : [{ rollout, phaseIndex, phaseName: phase.name }];
  });
  const requests = await listApprovalRequests(
    db,
    principal,
    waiting.map((w) => w.rollout.id),
  );
  const items = waiting.map((w): InboxItem => {
    const mine = requests.filter((r) => r.rolloutId === w.rollout.id && r.phaseIndex === w.phaseIndex);
    const waitingSince = mine[0]?.requestedAt ?? w.rollout.phaseStartedAt;
    return {
      ...w,
      requests: mine,
      waitingSince,
      waitingSeconds: waitingSince ? Math.max(0, Math.floor((now.getTime() - Date.parse(waitingSince)) / 1000)) : null,
      askedYou: mine.some((r) => r.productOwners.some((p) => p.id === user.userId)),
    };
  });
  const since = (i: InboxItem) => (i.waitingSince ? Date.parse(i.waitingSince) : Infinity);
  return items.sort((a, b) => Number(b.askedYou) - Number(a.askedYou) || since(a) - since(b));
}

/** The inbox as the API answers it: plain fields instead of the whole rollout. */
export function inboxItemJson(item: InboxItem) {
  return {
    rolloutId: item.rollout.id,
    flagKey: item.rollout.flagKey,
    environment: item.rollout.environment,
    phaseIndex: item.phaseIndex,
    phaseName: item.phaseName,
    requester: item.rollout.requester.name,
    waitingSince: item.waitingSince,
    askedYou: item.askedYou,
    requests: item.requests,
  };
}

/**
 * How many items `approvalInbox` would list, in one query: the navigation shows it on every page, so
 * it must not load every live rollout with its gates and metrics.
 */
export async function countApprovalInbox(db: Db, principal: Principal | null): Promise<number> {
  const user = requireUser(principal);
  if (!can(user, "rollout.approve")) return 0;
  const rows = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n
    FROM rollouts r
    JOIN rollout_phases p ON p.rollout_id = r.id AND p.index = r.current_phase + 1 AND p.required_approvals > 0
    JOIN flags f ON f.id = r.flag_id
    WHERE r.status IN ('draft', 'active', 'paused')
      AND r.requested_by <> ${user.userId}::uuid
      AND r.last_edited_by IS DISTINCT FROM ${user.userId}::uuid
      -- Any earlier plan editor too, as planEditorRows() reads them.
      AND NOT EXISTS (
        SELECT 1 FROM audit_log e
        WHERE e.target_type = 'rollout' AND e.target_id = f.key || '/' || r.environment_key || '/' || r.id::text
          AND e.action = 'rollout.edit' AND e.actor_id = ${user.userId}::uuid
          AND (e.after->>'planVersion') IS DISTINCT FROM (e.before->>'planVersion'))
      AND NOT EXISTS (
        SELECT 1 FROM approvals a
        WHERE a.rollout_id = r.id AND a.phase_index = p.index AND a.signer_id = ${user.userId}::uuid
          AND a.superseded_by IS NULL AND a.plan_version = r.plan_version)`;
  return rows[0]?.n ?? 0;
}
