import type { Db, Tx } from "../db/client";

export async function listEnvironmentKeys(db: Db | Tx): Promise<string[]> {
  const rows = await db.environment.findMany({ orderBy: [{ sortOrder: "asc" }, { key: "asc" }], select: { key: true } });
  return rows.map((r) => r.key);
}

/**
 * Environments where a person changing a flag by hand from the dashboard must say why (the reason
 * goes to the audit log) and confirm a summary of the change first. Production only: staging is
 * where people experiment, and asking there teaches them to type "x".
 */
export function isGuardedEnvironment(environment: string): boolean {
  return environment === "production";
}
