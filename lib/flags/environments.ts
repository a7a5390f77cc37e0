import type { Db, Tx } from "../db/client";

export async function listEnvironmentKeys(db: Db | Tx): Promise<string[]> {
  const rows = await db.environment.findMany({ orderBy: [{ sortOrder: "asc" }, { key: "asc" }], select: { key: true } });
  return rows.map((r) => r.key);
}
