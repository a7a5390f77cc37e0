// npm run audit:verify — checks the audit log's hash chain on the configured database.
import { createDb } from "../lib/db/client";
import { verifyAuditChain, type ChainReport } from "../lib/audit/verify-chain";
import { withDatabase } from "./database-runtime";

let report: ChainReport | undefined;
await withDatabase(async (url) => {
  const db = createDb(url, { max: 2 });
  try {
    report = await verifyAuditChain(db);
  } finally {
    await db.$disconnect();
  }
});
if (!report) process.exit(2);
for (const p of report.problems) console.error(`entry ${p.id}: ${p.problem}`);
console.log(
  report.ok
    ? `audit chain intact: ${report.checked} entries, head ${report.headHash ?? "(empty)"}`
    : `audit chain BROKEN: ${report.problems.length} problem(s) in ${report.checked} entries`,
);
process.exit(report.ok ? 0 : 1);
