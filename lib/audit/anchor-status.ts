import type { Db } from "../db/client";
import { requireUser, type Principal } from "../auth/principal";
import { dataDirFromEnv } from "../config";
import { checkExportedAnchor, type AnchorHead, type ExportedAnchor } from "./anchor";

/** What the audit page shows about the chain's head: the database's anchor and this instance's export. */
export async function auditAnchorStatus(
  db: Db,
  principal: Principal | null,
  dataDir = dataDirFromEnv(),
): Promise<{ head: AnchorHead | null; exported: ExportedAnchor | null; problems: string[] }> {
  requireUser(principal);
  const check = await checkExportedAnchor(db, dataDir);
  return { head: check.current, exported: check.exported, problems: check.problems };
}
