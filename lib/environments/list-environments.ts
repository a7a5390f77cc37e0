import type { Db } from "../db/client";
import { requireUser, type Principal } from "../auth/principal";
import { isGuardedEnvironment } from "../flags/environments";

/** An environment as the API lists it. */
export interface EnvironmentDto {
  key: string;
  name: string;
  /** A hand change on the dashboard needs a reason and a confirmation here (production). */
  guarded: boolean;
  createdAt: string;
}

/** Every environment, in the order the dashboard shows them (earlier ones first: staging before production). */
export async function listEnvironments(db: Db, principal: Principal | null): Promise<EnvironmentDto[]> {
  requireUser(principal);
  const rows = await db.environment.findMany({ orderBy: [{ sortOrder: "asc" }, { key: "asc" }] });
  return rows.map((r) => ({ key: r.key, name: r.name, guarded: isGuardedEnvironment(r.key), createdAt: r.createdAt.toISOString() }));
}
