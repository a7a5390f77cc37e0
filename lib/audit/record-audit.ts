import type { Tx } from "../db/client";

export interface AuditInput {
  actor: { id: string | null; label: string };
  action: string;
  target: { type: string; id: string };
  before?: unknown;
  after?: unknown;
  reason?: string | null;
}

/**
 * Appends one entry. Must be called with the transaction that performs the change, so the entry and
 * the change commit or roll back together. Id, time and hash chain are assigned by the database.
 */
export async function recordAudit(tx: Tx, entry: AuditInput): Promise<void> {
  const before = entry.before === undefined ? null : JSON.stringify(entry.before);
  const after = entry.after === undefined ? null : JSON.stringify(entry.after);
  await tx.$executeRaw`
    INSERT INTO audit_log (actor_id, actor, action, target_type, target_id, before, after, reason)
    VALUES (${entry.actor.id}::uuid, ${entry.actor.label}, ${entry.action}, ${entry.target.type},
            ${entry.target.id}, ${before}::jsonb, ${after}::jsonb, ${entry.reason ?? null})`;
}
