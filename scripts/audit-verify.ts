// npm run audit:verify — checks the audit log's hash chain on the configured database, and its head
// against the anchor last exported to the data dir; exports the new head when everything verifies.
//
// Exit codes, so a cron job or a monitor can tell "tampered with" from "could not look":
//   0  the chain and the anchor are intact
//   1  the log is BROKEN (an altered, missing or cut-off entry): the problems are printed
//   2  verification could not run (bad configuration, database unreachable, …): nothing was checked
//
// With the embedded database it works while Rollgate is running: the server's PostgreSQL is used
// (found through the data dir's postmaster.pid) instead of starting a second one on the same files.
import { createDb } from "../lib/db/client";
import { MAINTENANCE_LIMITS } from "../lib/db/bounded-pool";
import { loadConfig } from "../lib/config";
import { verifyAuditChain, type ChainReport } from "../lib/audit/verify-chain";
import { exportAnchor, checkExportedAnchor, type AnchorCheck } from "../lib/audit/anchor";
import { oneLineReason, withDatabase } from "./database-runtime";

const EXIT_INTACT = 0;
const EXIT_BROKEN = 1;
const EXIT_COULD_NOT_RUN = 2;

async function verify(): Promise<{ report: ChainReport; anchor: AnchorCheck }> {
  const config = loadConfig();
  let result: { report: ChainReport; anchor: AnchorCheck } | undefined;
  // As the app connects (DATABASE_URL), which may read the log and the anchor but not change them.
  await withDatabase(
    async ({ url }) => {
      // Reading a long log page by page is housekeeping, not a request: the long bounds.
      const db = createDb(url, { max: 2, limits: MAINTENANCE_LIMITS });
      try {
        const report = await verifyAuditChain(db);
        // A broken log must not overwrite the evidence: export only when everything verifies.
        let anchor = await checkExportedAnchor(db, config.dataDir);
        if (report.ok && !anchor.problems.length) anchor = await exportAnchor(db, config.dataDir);
        result = { report, anchor };
      } finally {
        await db.$disconnect();
      }
    },
    { shareRunning: true, notice: (line) => console.log(line), as: "app" },
  );
  if (!result) throw new Error("verification did not finish");
  return result;
}

let outcome: { report: ChainReport; anchor: AnchorCheck };
try {
  outcome = await verify();
} catch (err) {
  const why = oneLineReason(err);
  console.error(`audit:verify could not run: ${why}`);
  process.exit(EXIT_COULD_NOT_RUN);
}
const { report, anchor } = outcome;
for (const p of report.problems) console.error(p.id === "anchor" ? p.problem : `entry ${p.id}: ${p.problem}`);
for (const p of anchor.problems) console.error(p);
for (const n of report.notes) console.log(`note: ${n}`);
const ok = report.ok && anchor.problems.length === 0;
console.log(
  ok
    ? `audit chain intact: ${report.checked} entries, head ${report.headHash ?? "(empty)"}; anchor exported to ${anchor.file}`
    : `audit chain BROKEN: ${report.problems.length + anchor.problems.length} problem(s) in ${report.checked} entries`,
);
process.exit(ok ? EXIT_INTACT : EXIT_BROKEN);
