import type { Tx } from "../db/client";

/**
 * Which of these segments exist, read FOR KEY SHARE: none of them can be deleted before the caller's
 * commit, so a plan or a flag state checked against them cannot end up naming a deleted one (which
 * the foreign key would otherwise answer with a 500). Editing them stays possible meanwhile.
 */
export async function lockSegments(tx: Tx, ids: readonly number[]): Promise<Set<number>> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return new Set();
  const rows = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM segments WHERE id = ANY(${wanted}::int[]) ORDER BY id FOR KEY SHARE`;
  return new Set(rows.map((r) => r.id));
}
