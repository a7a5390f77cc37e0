import type { Db } from "../db/client";

export interface ChainReport {
  ok: boolean;
  checked: number;
  headHash: string | null;
  problems: { id: string; problem: string }[];
  /** Things that look odd but are explained (not problems). */
  notes: string[];
}

const GENESIS = "0".repeat(64);

/**
 * Recomputes every entry's hash from its stored content and checks each entry points at its
 * predecessor. Any edit made behind the triggers' back (a superuser disabling them) breaks one of
 * the two. Ids are gapless from `audit_anchor.gapless_from` on, so a missing id there is a removed
 * entry; the newest entry and the count must match the audit_anchor row the trigger keeps, which
 * catches entries cut off the end. (The exported copy of that row is checked by lib/audit/anchor.ts.)
 * Runs in pages so the log can be arbitrarily long.
 */
export async function verifyAuditChain(db: Db, pageSize = 5000): Promise<ChainReport> {
  const problems: ChainReport["problems"] = [];
  const notes: string[] = [];
  const [anchor] = await db.$queryRaw<{ last_id: bigint; last_hash: string; entries: bigint; gapless_from: bigint }[]>`
    SELECT last_id, last_hash, entries, gapless_from FROM audit_anchor WHERE singleton`;
  let expectedPrev = GENESIS;
  let after = -1n;
  let previousId: bigint | null = null;
  let skipped = 0n;
  let checked = 0;
  for (;;) {
    const rows = await db.$queryRaw<{ id: bigint; prev_hash: string; hash: string; recomputed: string }[]>`
      SELECT id, prev_hash, hash,
             rollgate_audit_hash(prev_hash, id, at, actor_id, actor, action, target_type, target_id,
                                 before, after, reason) AS recomputed
      FROM audit_log WHERE id > ${after} ORDER BY id LIMIT ${pageSize}`;
    for (const row of rows) {
      const id = row.id.toString();
      if (previousId !== null && row.id !== previousId + 1n) {
        const missing = row.id - previousId - 1n === 1n ? `#${previousId + 1n}` : `#${previousId + 1n}–#${row.id - 1n}`;
        if (anchor && row.id > anchor.gapless_from) problems.push({ id, problem: `entries ${missing} before it are missing` });
        else skipped += row.id - previousId - 1n;
      }
      if (row.prev_hash !== expectedPrev) problems.push({ id, problem: "does not link to the previous entry" });
      if (row.recomputed !== row.hash) problems.push({ id, problem: "content does not match its hash" });
      expectedPrev = row.hash;
      previousId = row.id;
      after = row.id;
      checked++;
    }
    if (rows.length < pageSize) break;
  }
  if (skipped > 0n && anchor) {
    notes.push(
      `${skipped} id(s) below ${anchor.gapless_from} were never used: they came from a sequence, which skips a number when a transaction that wrote an entry rolls back`,
    );
  }
  if (!anchor) {
    problems.push({ id: "anchor", problem: "the audit_anchor row is missing: the chain's head was deleted" });
  } else {
    const lastId = previousId ?? 0n;
    if (anchor.last_id !== lastId || anchor.last_hash !== (checked ? expectedPrev : GENESIS)) {
      problems.push({
        id: "anchor",
        problem: `the log ends at entry #${lastId}, but the audit_anchor row records #${anchor.last_id} (hash ${anchor.last_hash.slice(0, 16)}…): entries were removed from the end`,
      });
    }
    if (anchor.entries !== BigInt(checked)) {
      problems.push({ id: "anchor", problem: `the log has ${checked} entries, but the audit_anchor row counts ${anchor.entries}` });
    }
  }
  return { ok: problems.length === 0, checked, headHash: checked ? expectedPrev : null, problems, notes };
}
