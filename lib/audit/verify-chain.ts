import type { Db } from "../db/client";

export interface ChainReport {
  ok: boolean;
  checked: number;
  headHash: string | null;
  problems: { id: string; problem: string }[];
}

const GENESIS = "0".repeat(64);

/**
 * Recomputes every entry's hash from its stored content and checks each entry points at its
 * predecessor. Any edit made behind the triggers' back (a superuser disabling them) breaks one of
 * the two. Runs in pages so the log can be arbitrarily long.
 */
export async function verifyAuditChain(db: Db, pageSize = 5000): Promise<ChainReport> {
  const problems: ChainReport["problems"] = [];
  let expectedPrev = GENESIS;
  let after = -1n;
  let checked = 0;
  for (;;) {
    const rows = await db.$queryRaw<{ id: bigint; prev_hash: string; hash: string; recomputed: string }[]>`
      SELECT id, prev_hash, hash,
             rollgate_audit_hash(prev_hash, id, at, actor_id, actor, action, target_type, target_id,
                                 before, after, reason) AS recomputed
      FROM audit_log WHERE id > ${after} ORDER BY id LIMIT ${pageSize}`;
    for (const row of rows) {
      const id = row.id.toString();
      if (row.prev_hash !== expectedPrev) problems.push({ id, problem: "does not link to the previous entry" });
      if (row.recomputed !== row.hash) problems.push({ id, problem: "content does not match its hash" });
      expectedPrev = row.hash;
      after = row.id;
      checked++;
    }
    if (rows.length < pageSize) break;
  }
  return { ok: problems.length === 0, checked, headHash: checked ? expectedPrev : null, problems };
}
