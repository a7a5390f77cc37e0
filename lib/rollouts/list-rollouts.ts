import type { Db } from "../db/client";
import { Prisma } from "../db/generated/client";
import { requireUser, type Principal } from "../auth/principal";
import { LIVE_STATUSES, type RolloutStatus } from "../domain/rollout";
import { rolloutInclude, rolloutViews, type RolloutDto } from "./rollout-view";
import { can } from "../auth/permissions";
import { listApprovalRequests, type ApprovalRequestDto } from "./request-approval";
import { CURSOR_MICROS, CURSOR_UUID, decodeCursorParts, encodeCursorParts } from "../validation/opaque-cursor";

/** How many rollouts a list returns unless it says otherwise, and the most it may ask for. */
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;

export interface RolloutListQuery {
  /** One flag's rollouts. */
  flagKey?: string;
  /** The rollouts of these flags (a page of the flag list): all of them, however many, without `limit`. */
  flagKeys?: readonly string[];
  /** Every status; else `statuses`, or the live ones (drafts included). */
  all?: boolean;
  statuses?: readonly RolloutStatus[];
  /** At most this many, newest first (DEFAULT_LIST_LIMIT). */
  limit?: number;
  /** Only those after this one in the list's order: `next` of an earlier page (`rolloutCursor`). */
  after?: RolloutCursor;
}

/** Where a page of rollouts ends: the last one's creation (microseconds, as stored) and id. */
export interface RolloutCursor {
  createdAt: string;
  id: string;
}

/** A page of rollouts and the cursor of the next one, null on the last. */
export interface RolloutPage {
  rollouts: RolloutDto[];
  next: string | null;
}

/** The cursor `next` carries (lib/validation/opaque-cursor.ts). */
export function encodeRolloutCursor(cursor: RolloutCursor): string {
  return encodeCursorParts(["r", cursor.createdAt, cursor.id]);
}

/** The cursor `encodeRolloutCursor` made, or null for anything else. */
export function decodeRolloutCursor(text: string): RolloutCursor | null {
  const parts = decodeCursorParts(text, 3);
  if (!parts) return null;
  const [kind, createdAt, id] = parts as [string, string, string];
  return kind === "r" && CURSOR_MICROS.test(createdAt) && CURSOR_UUID.test(id) ? { createdAt, id } : null;
}

/** The list's filters in SQL, over `rollouts r JOIN flags f`. */
function listWhere(query: RolloutListQuery): Prisma.Sql {
  const where: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (!query.all) where.push(Prisma.sql`r.status = ANY(${[...(query.statuses ?? LIVE_STATUSES)]}::text[])`);
  if (query.flagKey) where.push(Prisma.sql`f.key = ${query.flagKey}`);
  if (query.flagKeys) where.push(Prisma.sql`f.key = ANY(${[...query.flagKeys]}::text[])`);
  return Prisma.join(where, " AND ");
}

/**
 * Rollouts, newest first (ties by id), live ones only unless `all` or `statuses` say otherwise;
 * optionally for one flag or some; a page at a time by `after`, with the cursor of the next page.
 * The cursor carries the creation time as PostgreSQL stores it (microseconds), which a JavaScript
 * date would round, skipping or repeating rollouts created within the same millisecond.
 */
export async function listRolloutPage(db: Db, principal: Principal | null, query: RolloutListQuery = {}): Promise<RolloutPage> {
  requireUser(principal);
  if (query.flagKeys?.length === 0) return { rollouts: [], next: null };
  const limit = query.flagKeys && query.limit === undefined ? null : Math.min(query.limit ?? DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
  const after = query.after
    ? Prisma.sql`AND (r.created_at, r.id) < (${query.after.createdAt}::timestamptz, ${query.after.id}::uuid)`
    : Prisma.empty;
  const found = await db.$queryRaw<{ id: string; created: string }[]>`
    SELECT r.id::text AS id, to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created
      FROM rollouts r JOIN flags f ON f.id = r.flag_id
     WHERE ${listWhere(query)} ${after}
     ORDER BY r.created_at DESC, r.id DESC
     LIMIT ${limit === null ? null : limit + 1}`;
  const page = limit === null ? found : found.slice(0, limit);
  const last = page.at(-1);
  const next = limit !== null && found.length > limit && last ? encodeRolloutCursor({ createdAt: last.created, id: last.id }) : null;
  if (page.length === 0) return { rollouts: [], next };
  const rows = await db.rollout.findMany({ where: { id: { in: page.map((r) => r.id) } }, include: rolloutInclude });
  const position = new Map(page.map((r, i) => [r.id, i]));
  rows.sort((a, b) => position.get(a.id)! - position.get(b.id)!);
  return { rollouts: await rolloutViews(db, rows), next };
}

/** `listRolloutPage`'s rollouts: one page, the first unless `after` says otherwise. */
export async function listRollouts(db: Db, principal: Principal | null, query: RolloutListQuery = {}): Promise<RolloutDto[]> {
  return (await listRolloutPage(db, principal, query)).rollouts;
}

/** How many rollouts `listRollouts` would find without a limit: what a page says when it shows fewer. */
export async function countRollouts(db: Db, principal: Principal | null, query: RolloutListQuery = {}): Promise<number> {
  requireUser(principal);
  if (query.flagKeys?.length === 0) return 0;
  const [row] = await db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM rollouts r JOIN flags f ON f.id = r.flag_id WHERE ${listWhere(query)}`;
  return row?.n ?? 0;
}

/** Live rollouts `r` whose next phase `p` needs approvals (signed or not), and that phase. */
const AWAITING_APPROVAL = Prisma.sql`rollouts r
    JOIN rollout_phases p ON p.rollout_id = r.id AND p.index = r.current_phase + 1 AND p.required_approvals > 0
                         AND r.status IN ('draft', 'active', 'paused')`;

/**
 * Every live rollout whose next phase needs approvals (signed or not), newest first, up to
 * MAX_LIST_LIMIT: the approvals page's "All pending approvals", found in SQL rather than among a
 * page of all live rollouts.
 */
export async function listAwaitingApproval(db: Db, principal: Principal | null): Promise<RolloutDto[]> {
  requireUser(principal);
  const ids = await db.$queryRaw<{ id: string }[]>`
    SELECT r.id::text AS id
    FROM ${AWAITING_APPROVAL}
    ORDER BY r.created_at DESC, r.id
    LIMIT ${MAX_LIST_LIMIT}`;
  if (ids.length === 0) return [];
  const rows = await db.rollout.findMany({
    where: { id: { in: ids.map((r) => r.id) } },
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
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
 * Every such rollout, however many are live: they are found in SQL (`inboxCandidates`), then read.
 */
export async function approvalInbox(db: Db, principal: Principal | null, now = new Date()): Promise<InboxItem[]> {
  const user = requireUser(principal);
  if (!can(user, "rollout.approve")) return [];
  const ids = await inboxCandidates(db, user.userId);
  const rows = ids.length ? await db.rollout.findMany({ where: { id: { in: ids } }, include: rolloutInclude }) : [];
  const rollouts = await rolloutViews(db, rows, now);
  // The same conditions on what was read (a rollout may have moved since the query above).
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
  return (await inboxCandidates(db, user.userId)).length;
}

/** The live rollouts whose next phase waits for this product owner's approval (see `approvalInbox`). */
async function inboxCandidates(db: Db, userId: string): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT r.id::text AS id
    FROM ${AWAITING_APPROVAL}
    JOIN flags f ON f.id = r.flag_id
    WHERE r.requested_by <> ${userId}::uuid
      AND r.last_edited_by IS DISTINCT FROM ${userId}::uuid
      -- Any earlier plan editor too, as planEditorRows() reads them.
      AND NOT EXISTS (
        SELECT 1 FROM audit_log e
        WHERE e.target_type = 'rollout' AND e.target_id = f.key || '/' || r.environment_key || '/' || r.id::text
          AND e.action = 'rollout.edit' AND e.actor_id = ${userId}::uuid
          AND (e.after->>'planVersion') IS DISTINCT FROM (e.before->>'planVersion'))
      AND NOT EXISTS (
        SELECT 1 FROM approvals a
        WHERE a.rollout_id = r.id AND a.phase_index = p.index AND a.signer_id = ${userId}::uuid
          AND a.superseded_by IS NULL AND a.plan_version = r.plan_version)`;
  return rows.map((r) => r.id);
}
