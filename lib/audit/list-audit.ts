import type { Db } from "../db/client";
import { requireUser, type Principal } from "../auth/principal";

export interface AuditEntryDto {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
  reason: string | null;
  hash: string;
  prevHash: string;
}

export const SIGN_IN_ACTION = "session.sign_in";

/** Newest first; `before` is an entry id (exclusive) for paging backwards. */
export async function listAudit(
  db: Db,
  principal: Principal | null,
  query: { limit: number; before?: bigint; target?: string; actor?: string; action?: string; hideSignIns?: boolean },
): Promise<{ entries: AuditEntryDto[]; nextBefore: string | null }> {
  requireUser(principal);
  const rows = await db.auditLog.findMany({
    where: {
      AND: [
        query.before !== undefined ? { id: { lt: query.before } } : {},
        // A flag's history includes its per-environment states ("key/env").
        query.target ? { OR: [{ targetId: query.target }, { targetId: { startsWith: `${query.target}/` } }] } : {},
        query.actor ? { actor: { contains: query.actor, mode: "insensitive" as const } } : {},
        // "flag_state" matches every flag_state.* action; a full name matches that action.
        query.action ? { action: { startsWith: query.action } } : {},
        // Sign-ins are most of the log and rarely what someone looks for; lock-outs stay visible.
        query.hideSignIns ? { action: { not: SIGN_IN_ACTION } } : {},
      ],
    },
    orderBy: { id: "desc" },
    take: query.limit,
  });
  const entries = rows.map((r) => ({
    id: r.id.toString(),
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    target: `${r.targetType}:${r.targetId}`,
    before: r.before,
    after: r.after,
    reason: r.reason,
    hash: r.hash,
    prevHash: r.prevHash,
  }));
  const last = entries.at(-1);
  return { entries, nextBefore: entries.length === query.limit && last ? last.id : null };
}
