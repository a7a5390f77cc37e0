// npm run db:migrate | db:rollback — dbmate as the owner: DATABASE_MIGRATION_URL (or DATABASE_URL) or the embedded database,
// the same environment as `npm start`. A failure is one line (what is wrong and how to fix it) and exit code 1.
import { runDbmate } from "../lib/db/migrate";
import { oneLineReason, withDatabase } from "./database-runtime";

const command = process.argv[2];
const args = { migrate: ["up"], rollback: ["rollback"], status: ["status"] }[command ?? ""];
if (!args) {
  console.error("usage: tsx scripts/db.ts migrate|rollback|status");
  process.exit(2);
}
try {
  await withDatabase(
    async ({ migrationUrl }) => {
      process.stdout.write(await runDbmate(migrationUrl, args));
    },
    { as: "owner" },
  );
} catch (err) {
  console.error(`db:${command}: ${oneLineReason(err)}`);
  process.exit(1);
}
