// npm run audit:verify — checks the audit log's hash chain on the configured database, and its head
// against the anchor last exported to the data dir; exports the new head when everything verifies.
import { createDb } from "../lib/db/client";
import { loadConfig } from "../lib/config";
import { verifyAuditChain, type ChainReport } from "../lib/audit/verify-chain";
import { exportAnchor, checkExportedAnchor, type AnchorCheck } from "../lib/audit/anchor";
import { withDatabase } from "./database-runtime";

const config = loadConfig();
let report: ChainReport | undefined;
let anchor: AnchorCheck | undefined;
// As the app connects (DATABASE_URL), which may read the log and the anchor but not change them.
await withDatabase(async ({ url }) => {
  const db = createDb(url, { max: 2 });
  try {
    report = await verifyAuditChain(db);
    // A broken log must not overwrite the evidence: export only when everything verifies.
    anchor = await checkExportedAnchor(db, config.dataDir);
    if (report.ok && !anchor.problems.length) anchor = await exportAnchor(db, config.dataDir);
  } finally {
    await db.$disconnect();
  }
});
if (!report || !anchor) process.exit(2);
for (const p of report.problems) console.error(p.id === "anchor" ? p.problem : `entry ${p.id}: ${p.problem}`);
for (const p of anchor.problems) console.error(p);
for (const n of report.notes) console.log(`note: ${n}`);
const ok = report.ok && anchor.problems.length === 0;
console.log(
  ok
    ? `audit chain intact: ${report.checked} entries, head ${report.headHash ?? "(empty)"}; anchor exported to ${anchor.file}`
    : `audit chain BROKEN: ${report.problems.length + anchor.problems.length} problem(s) in ${report.checked} entries`,
);
process.exit(ok ? 0 : 1);
