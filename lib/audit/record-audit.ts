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

/**
 * Appends several entries, in this order, in one statement: the same chain as one `recordAudit` per
 * entry (the trigger hashes each row after the one before), without a round trip per entry.
 */
export async function recordAudits(tx: Tx, entries: readonly AuditInput[]): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map((e) => ({
    actor_id: e.actor.id,
    actor: e.actor.label,
    action: e.action,
    target_type: e.target.type,
    target_id: e.target.id,
    // As text, cast below: exactly what recordAudit stores (a JSON null stays a JSON null).
    before: e.before === undefined ? null : JSON.stringify(e.before),
    after: e.after === undefined ? null : JSON.stringify(e.after),
    reason: e.reason ?? null,
  }));
  await tx.$executeRaw`
    INSERT INTO audit_log (actor_id, actor, action, target_type, target_id, before, after, reason)
    SELECT r.actor_id, r.actor, r.action, r.target_type, r.target_id, r.before::jsonb, r.after::jsonb, r.reason
      FROM ROWS FROM (jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
             AS (actor_id uuid, actor text, action text, target_type text, target_id text, before text, after text, reason text))
           WITH ORDINALITY AS r(actor_id, actor, action, target_type, target_id, before, after, reason, n)
     ORDER BY r.n`;
}
