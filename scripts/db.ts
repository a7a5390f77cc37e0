// npm run db:migrate | db:rollback — dbmate as the owner: DATABASE_MIGRATION_URL (or DATABASE_URL) or the embedded database.
import { runDbmate } from "../lib/db/migrate";
import { withDatabase } from "./database-runtime";

const command = process.argv[2];
const args = { migrate: ["up"], rollback: ["rollback"], status: ["status"] }[command ?? ""];
if (!args) {
  console.error("usage: tsx scripts/db.ts migrate|rollback|status");
  process.exit(2);
}
await withDatabase(async ({ migrationUrl }) => {
  process.stdout.write(await runDbmate(migrationUrl, args));
});
