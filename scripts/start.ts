// npm start — the whole product in one process: database (embedded unless DATABASE_URL), migrations,
// bootstrap tokens, demo data, then the HTTP server on PORT.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { loadConfig } from "../lib/config";
import { openDatabase } from "../lib/db/runtime";
import { migrateUp } from "../lib/db/migrate";
import { withStartupLock } from "../lib/db/startup-lock";
import { createDb, shareDb } from "../lib/db/client";
import { applyBootstrapTokens, parseBootstrapTokens } from "../lib/auth/bootstrap-tokens";
import { DEMO_USERS, seedDemo } from "../lib/demo/seed-demo";
import { startAppServer } from "../lib/server/app-server";
import { buildIsStale } from "../lib/server/build-freshness";
import { ConfigStore } from "../lib/evaluation/config-store";
import { ofrepRoute } from "../lib/server/data-plane/ofrep";
import { streamRoute } from "../lib/server/data-plane/stream";
import { eventsRoute } from "../lib/server/data-plane/events";
import { liveRoute } from "../lib/server/data-plane/live";

const root = path.resolve(import.meta.dirname, "..");
const dev = process.argv.includes("--dev");
const config = loadConfig();
const bootstrap = parseBootstrapTokens(config.ROLLGATE_BOOTSTRAP_TOKENS);

if (!dev && process.env.ROLLGATE_SKIP_BUILD === "1") {
  // Tests build once up front; many server processes building concurrently would clobber .next.
} else if (!dev && buildIsStale(root)) {
  console.log("[rollgate] building the dashboard (first start or sources changed)…");
  const built = spawnSync("npm", ["run", "-s", "build"], { cwd: root, stdio: "inherit" });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

let stopping = false;
const database = await openDatabase(config, (line) => {
  if (!stopping && /FATAL|PANIC/.test(line)) console.error(`[postgres] ${line}`);
});
console.log(
  `[rollgate] database: ${database.embedded ? `embedded PostgreSQL (${path.join(config.dataDir, "postgres")})` : "DATABASE_URL"}`,
);
process.env.DATABASE_URL = database.url;
const db = createDb(database.url, { max: 20 });
shareDb(database.url, db);
await withStartupLock(database.url, async () => {
  await migrateUp(database.url);
  await applyBootstrapTokens(db, bootstrap);
  if (config.ROLLGATE_DEMO === "auto" && (await seedDemo(db, config.ROLLGATE_DEMO_PASSWORD))) {
    console.log("[rollgate] seeded demo data");
  }
});
if (config.ROLLGATE_DEMO === "auto" && (await db.user.count({ where: { email: { in: DEMO_USERS.map((u) => u.email) } } })) > 0) {
  console.log(
    `[rollgate] demo users (password "${config.ROLLGATE_DEMO_PASSWORD}"): ${DEMO_USERS.map((u) => `${u.email} (${u.roles.join("+")})`).join(", ")}`,
  );
}

// Evaluation answers from memory; this pool serves snapshot reloads and event ingestion.
const store = new ConfigStore(db, database.url, { log: (m) => console.log(`[rollgate] ${m}`) });
await store.start();

const app = await startAppServer({
  dir: root,
  dev,
  host: config.HOST,
  port: config.PORT,
  dataPlane: [ofrepRoute(store), streamRoute(store), eventsRoute(store, db), liveRoute(store, db)],
});
console.log(`[rollgate] listening on http://localhost:${app.port}`);

async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`[rollgate] ${signal}: shutting down`);
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  await app.close().catch(() => {});
  await store.stop().catch(() => {});
  await db.$disconnect().catch(() => {});
  await database.stop().catch((err: unknown) => console.error("[rollgate] stopping PostgreSQL failed", err));
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
