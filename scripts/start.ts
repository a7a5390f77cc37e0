// npm start — the whole product in one process: database (embedded unless DATABASE_URL), migrations,
// bootstrap tokens, demo data, then the HTTP server on PORT.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { loadConfig, type Config } from "../lib/config";
import { openDatabase } from "../lib/db/runtime";
import { APP_ROLE, prepareAppRole } from "../lib/db/app-role";
import { checkOwner, ensureAppRoleLogin } from "../lib/db/external-database";
import { connectOrExplain } from "../lib/db/connection-failure";
import { migrateUp } from "../lib/db/migrate";
import { withStartupLock, type LockHolder } from "../lib/db/startup-lock";
import { createDb, shareDb, type Db } from "../lib/db/client";
import { INTERACTIVE_LIMITS, MAINTENANCE_LIMITS } from "../lib/db/bounded-pool";
import { reportRepeatedLine } from "../lib/db/outage-log";
import { applyBootstrapTokens, parseBootstrapTokens, type BootstrapToken } from "../lib/auth/bootstrap-tokens";
import { DEMO_USERS, seedDemo } from "../lib/demo/seed-demo";
import { startAppServer, type AppServer, type DataPlaneRoute } from "../lib/server/app-server";
import { buildIsStale } from "../lib/server/build-freshness";
import { ConfigStore } from "../lib/evaluation/config-store";
import { registerServedHere } from "../lib/evaluation/served-here";
import { dataPlaneEntries, defaultReadiness, type DataPlaneEntry } from "../lib/server/data-plane";
import { createStreamStats } from "../lib/server/data-plane/stream";
import { rollgateMetrics } from "../lib/server/metrics/rollgate-metrics";
import { forgetAudienceWeeks } from "../lib/segments/audience-samples";
import { collectConfiguration, collectDatabase, collectProcess, collectStreams } from "../lib/server/metrics/collectors";
import { startDemoTraffic } from "../lib/demo/demo-traffic";
import { markDemoTrafficRunning, stopSpike } from "../lib/demo/demo-spike";
import { startWebhookDelivery } from "../lib/notifications/delivery-worker";
import { startGuardrails } from "../lib/guardrails/guardrail-worker";
import { startAutoAdvance } from "../lib/rollouts/auto-advance";
import { startRetention } from "../lib/metrics/retention";
import { startAnchorExport } from "../lib/audit/anchor";
import { projectRoot } from "../lib/project-root";
import { captureConsole, logger } from "../lib/log/logger";
import { currentRequestId } from "../lib/db/availability";

const root = projectRoot();
const dev = process.argv.includes("--dev");
// In the JSON log format, whatever prints through the console (Next.js among others) is a JSON line too.
captureConsole(currentRequestId);
const log = logger("server");
const config = (() => {
  try {
    return loadConfig();
  } catch (err) {
    // A configuration mistake is expected: its message names the variable, a stack trace adds nothing.
    log.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
})();
const bootstrap = parseBootstrapTokens(config.ROLLGATE_BOOTSTRAP_TOKENS);
/** A worker's or component's lines, tagged with what it is. */
const logTo = (component: string) => {
  const l = logger(component);
  return (line: string) => l.info(line);
};

if (!dev && process.env.ROLLGATE_SKIP_BUILD === "1") {
  // Tests build once up front; many server processes building concurrently would clobber .next.
} else if (!dev && buildIsStale(root)) {
  log.info("building the dashboard (first start or sources changed)…");
  const built = spawnSync("npm", ["run", "-s", "build"], { cwd: root, stdio: "inherit" });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

type Cleanup = () => Promise<unknown>;

/**
 * Everything that belongs to one database: the connection and migrations, the in-memory
 * configuration, the workers and the data plane's routes. The HTTP server outlives it: a test server
 * moves from one database to the next (ROLLGATE_TEST_CONTROL below).
 */
interface Session {
  /** What start-up opened before the HTTP server listens, stopped after it closes. */
  early: Cleanup[];
  /** The workers started once it listens, stopped before it closes. */
  late: Cleanup[];
}

let stopping = false;
let session: Session | null = null;
let app: AppServer | null = null;
/** The data plane's routes, swapped in place when a session opens (the HTTP server holds this array). */
const routes: DataPlaneRoute[] = [];

async function runCleanups(list: Cleanup[]) {
  for (const cleanup of [...list].reverse()) await cleanup().catch((err: unknown) => log.error("shutdown step failed", { error: err }));
  list.length = 0;
}

/** Closes `s` in reverse order of start-up: the workers, then (`between`) the HTTP server, then the rest. */
async function closeSession(s: Session, between?: () => Promise<void>) {
  await runCleanups(s.late);
  await between?.().catch((err: unknown) => log.error("shutdown step failed", { error: err }));
  await runCleanups(s.early);
}

async function shutdown(reason: string, code: number) {
  if (stopping) return;
  stopping = true;
  log.info(`${reason}: shutting down`);
  setTimeout(() => process.exit(1), 10_000).unref();
  // The workers, then stop taking requests, then the listeners, then the database.
  const close = async () => app?.close();
  if (session) await closeSession(session, close);
  else await close();
  process.exit(code);
}
// Registered before anything starts, so Ctrl-C during migrations still stops PostgreSQL cleanly.
process.on("SIGINT", () => void shutdown("SIGINT", 0));
process.on("SIGTERM", () => void shutdown("SIGTERM", 0));

const postgresLog = logger("postgres");
/** How long a write waits for this instance to serve it before answering anyway. */
const WRITE_SERVED_WITHIN_MS = 1000;

/** Opens the database and everything on it, up to the data plane's routes; `s` collects what to stop. */
async function openSession(
  s: Session,
  config: Config,
  bootstrap: BootstrapToken[],
): Promise<{ entries: DataPlaneEntry[]; db: Db; appUrl: string }> {
  const cleanups = s.early;
  const database = await openDatabase(
    config,
    (output) => {
      if (stopping) return;
      // Only what is fatal, and each message once per window: when PostgreSQL dies or recovers, every
      // backend and every refused connection says the same thing (timestamps and PIDs left out).
      for (const line of output.split("\n")) {
        const fatal = /\b(FATAL|PANIC):\s+(.*)$/.exec(line);
        if (fatal) reportRepeatedLine(`${fatal[1]}: ${fatal[2]!.trim()}`, (l) => postgresLog.warn(l));
      }
    },
    logTo("database"),
    {
      // The embedded PostgreSQL is restarted when it dies under us; if it cannot be, exit non-zero so a
      // process manager restarts the whole (README, Durability).
      supervise: {
        log: logTo("database"),
        giveUp: (reason) => {
          logger("database").error(reason);
          void shutdown("the embedded database is down", 1);
        },
      },
    },
  );
  cleanups.push(() => database.stop());
  log.info(
    `database: ${database.embedded ? `embedded PostgreSQL (${path.join(config.dataDir, "postgres")})` : "DATABASE_URL"}${config.DATABASE_POOLED_URL ? ", queries through DATABASE_POOLED_URL" : ""}`,
  );
  if (database.embedded && config.ROLLGATE_PG_UNSAFE_NO_FSYNC === "1") {
    log.warn("WARNING: ROLLGATE_PG_UNSAFE_NO_FSYNC=1: fsync is off, a crash can lose or corrupt data (for test suites only)");
  }
  if (config.ROLLGATE_UNSAFE_FAST_PASSWORD_HASH === "1") {
    log.warn("WARNING: ROLLGATE_UNSAFE_FAST_PASSWORD_HASH=1: new passwords are hashed 32× cheaper to crack (for test suites only)");
  }
  if (config.supabase) {
    log.info(`Supabase sign-in: ${config.supabase.url} (keys from its JWKS${config.supabase.jwtSecret ? " or the HS256 secret" : ""})`);
  }
  // Migrations run as the owner; the app then connects as the least-privileged rollgate_app role:
  // for the embedded database start-up gives it a password kept in the data dir; with DATABASE_URL
  // (rollgate_app) and DATABASE_MIGRATION_URL (the owner) it creates the role or sets the password in
  // DATABASE_URL. What the operator may have got wrong is found before anything changes, each with a
  // one-line fix (lib/db/external-database.ts).
  const external = database.embedded ? null : { appUrl: database.url, ownerUrl: database.migrationUrl };
  const owner = external ? await checkOwner(external) : null;
  await withStartupLock(
    database.migrationUrl,
    async (session) => {
      await migrateUp(database.migrationUrl, session);
      if (external && owner?.managesAppRole) {
        const done = await ensureAppRoleLogin(external, owner.owner);
        if (done !== "ready")
          log.info(`${APP_ROLE} ${done === "created" ? "created: it" : "now"} logs in with the password in DATABASE_URL`);
      }
    },
    { onWait: (holder) => log.warn(waitingForStartup(holder)) },
  );
  if (external) {
    await (await connectOrExplain(external.appUrl, "DATABASE_URL")).end();
    if (config.DATABASE_POOLED_URL) await (await connectOrExplain(config.DATABASE_POOLED_URL, "DATABASE_POOLED_URL")).end();
  }
  const appUrl = database.embedded ? ((await prepareAppRole(database.migrationUrl, config.dataDir)) ?? database.url) : database.url;
  process.env.DATABASE_URL = appUrl;
  // One pool for the whole process: Next's route handlers get it through getDb(). It only runs
  // statements and transactions, so it may go through a transaction pooler; LISTEN and the start-up
  // lock need a session of their own and always use DATABASE_URL (the lock DATABASE_MIGRATION_URL).
  // Every wait on it is bounded (lib/db/bounded-pool.ts), so a hung database answers 503 within 5 s;
  // through a transaction pooler the server-side limits are not set (they would not stay ours).
  const queryUrl = config.DATABASE_POOLED_URL ?? appUrl;
  const serverSettings = !config.DATABASE_POOLED_URL;
  const db = createDb(queryUrl, { max: 20, limits: INTERACTIVE_LIMITS, serverSettings });
  shareDb(appUrl, db);
  cleanups.push(() => db.$disconnect());
  // Housekeeping with legitimately long statements (retention's bulk deletes) on a small pool of its
  // own with long bounds: it neither trips the request bound nor takes connections from requests.
  const maintenanceDb = createDb(queryUrl, { max: 2, limits: MAINTENANCE_LIMITS, serverSettings });
  cleanups.push(() => maintenanceDb.$disconnect());
  const [role] = await db.$queryRaw<{ name: string; superuser: boolean; owner: boolean }[]>`
    SELECT current_user::text AS name, rolsuper AS superuser,
           coalesce((SELECT relowner FROM pg_class WHERE oid = to_regclass('public.schema_migrations')) = oid, false) AS owner
      FROM pg_roles WHERE rolname = current_user`;
  log.info(`connected as ${role?.name}`);
  if (role?.superuser || role?.owner) {
    // Works, but without the guarantees of "Database roles": it could alter the schema, the audit log and its triggers.
    log.warn(
      `WARNING: the app connects as ${role.name}, ${role.superuser ? "a superuser" : "the owner of its tables"}: set DATABASE_URL to the ${APP_ROLE} role (start-up creates it) and DATABASE_MIGRATION_URL to the owner (README, Database roles)`,
    );
  }

  await withStartupLock(
    database.migrationUrl,
    async () => {
      await applyBootstrapTokens(db, bootstrap);
      if (config.ROLLGATE_DEMO === "auto" && (await seedDemo(db, config.ROLLGATE_DEMO_PASSWORD))) {
        log.info("seeded demo data");
      }
    },
    { onWait: (holder) => log.warn(waitingForStartup(holder)) },
  );
  if (config.ROLLGATE_DEMO === "auto" && (await db.user.count({ where: { email: { in: DEMO_USERS.map((u) => u.email) } } })) > 0) {
    log.info(
      `demo users (password "${config.ROLLGATE_DEMO_PASSWORD}"): ${DEMO_USERS.map((u) => `${u.email} (${u.roles.join("+")})`).join(", ")}`,
    );
  }

  // The data plane answers from this in-memory configuration, never from a query per request.
  const store = new ConfigStore(db, appUrl, {
    log: logTo("config"),
    history: { maxPatches: config.ROLLGATE_STREAM_HISTORY },
  });
  await store.start();
  cleanups.push(() => store.stop());
  // A management write answers once this instance serves it (lib/evaluation/served-here.ts); within a
  // second, or the answer goes without it: the write has committed, and the poll brings it regardless.
  const unregister = registerServedHere(() => store.caughtUp(WRITE_SERVED_WITHIN_MS).catch(() => false));
  cleanups.push(async () => unregister());

  // Sends the webhook outbox; woken by NOTIFY on commit of any transaction that queued a notification.
  const webhooks = await startWebhookDelivery(db, {
    listenUrl: appUrl,
    allowPrivateNetworks: config.ROLLGATE_WEBHOOK_PRIVATE_NETWORKS === "allow",
    log: logTo("webhooks"),
  });
  cleanups.push(() => webhooks.stop());

  // Alert thresholds that act by themselves; exactly one instance evaluates at a time.
  const guardrails = startGuardrails(db, {
    intervalMs: config.ROLLGATE_GUARDRAIL_INTERVAL_MS,
    noDataMs: config.ROLLGATE_GUARDRAIL_NO_DATA_SECONDS * 1000,
    log: logTo("guardrails"),
  });
  cleanups.push(() => guardrails.stop());

  // Raw events are bounded: daily partitions created ahead, whole days past retention dropped.
  const retention = startRetention(
    maintenanceDb,
    { eventDays: config.ROLLGATE_EVENT_RETENTION_DAYS, rollupDays: config.ROLLGATE_ROLLUP_RETENTION_DAYS },
    { log: logTo("retention") },
  );
  cleanups.push(() => retention.stop());

  // Copies the audit chain's head out of the database, so cutting entries off the end shows.
  const anchor = startAnchorExport(db, config.dataDir, { log: logTo("audit-anchor") });
  cleanups.push(() => anchor.stop());

  // What GET /metrics reads at each scrape, besides what the request paths count as they go.
  const streamStats = createStreamStats();
  const readiness = defaultReadiness(store, db);
  const { registry } = rollgateMetrics();
  const collectors = [
    collectConfiguration(registry, store),
    collectStreams(registry, streamStats),
    collectDatabase(registry, { requests: db, maintenance: maintenanceDb }, readiness),
  ];
  cleanups.push(async () => collectors.forEach((stop) => stop()));

  const { entries, stop: stopDataPlane } = dataPlaneEntries(store, db, {
    sdkRateLimit: config.ROLLGATE_SDK_RATE_LIMIT,
    streamStats,
    readiness,
    metricsToken: config.ROLLGATE_METRICS_TOKEN,
    audienceFlushMs: config.ROLLGATE_AUDIENCE_FLUSH_MS,
  });
  cleanups.push(stopDataPlane);
  return { entries, db, appUrl };
}

/** What an instance waiting for another's start-up (migrations, tokens, seeding) says, and keeps saying. */
function waitingForStartup(holder: LockHolder | null | undefined): string {
  const who = holder
    ? `PostgreSQL backend ${holder.pid}${holder.applicationName ? ` (${holder.applicationName}${holder.clientAddress ? ` from ${holder.clientAddress}` : ""})` : ""}${holder.since ? `, since ${holder.since.toISOString()}` : ""}`
    : holder === null
      ? "a session that has just let go"
      : "who, could not be looked up";
  return `waiting for another instance's start-up to finish (it holds the start-up lock: ${who}); this one goes on when it is done or its connection ends`;
}

/** A new session on the database `config` names, its data-plane routes the ones the HTTP server answers. */
async function beginSession(config: Config, bootstrap: BootstrapToken[]) {
  const s: Session = { early: [], late: [] };
  session = s;
  const opened = await openSession(s, config, bootstrap);
  routes.splice(0, routes.length, ...opened.entries.map((entry) => entry.handler));
  return { s, opened };
}

/** The workers that start once the HTTP server listens on `port`; `listening` announces it in between. */
async function startLate(
  s: Session,
  config: Config,
  { db, appUrl }: { db: Db; appUrl: string },
  port: number,
  listening: () => void,
): Promise<void> {
  const cleanups = s.late;
  // Automatic progression: every instance runs the worker; an advisory lock lets one act per pass.
  const autoAdvance = startAutoAdvance(db, appUrl, {
    intervalMs: config.ROLLGATE_AUTO_ADVANCE_INTERVAL_MS,
    log: logTo("auto-advance"),
  });
  cleanups.push(() => autoAdvance.stop());
  listening();

  if (
    config.ROLLGATE_DEMO === "auto" &&
    config.ROLLGATE_DEMO_TRAFFIC === "auto" &&
    (await db.user.count({ where: { email: { in: DEMO_USERS.map((u) => u.email) } } })) > 0
  ) {
    // A demo nicety: if it cannot start, the product still runs.
    try {
      const traffic = await startDemoTraffic({
        db,
        baseUrl: `http://127.0.0.1:${port}`,
        dataDir: config.dataDir,
        log: logTo("demo-traffic"),
      });
      markDemoTrafficRunning(true);
      // Stopped before the server closes (cleanups run in reverse), so its last events still land; a
      // test server moved to another database (test control) then has no demo traffic nor spike.
      cleanups.push(async () => {
        markDemoTrafficRunning(false);
        stopSpike();
        await traffic.stop();
      });
    } catch (err) {
      log.warn(`demo traffic did not start: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/**
 * Test servers only: with ROLLGATE_TEST_CONTROL=stdin the suite keeps this process warm and moves it
 * from one test file's database to the next (tests/support/server-pool.ts), since starting a server
 * costs more CPU than most files' tests. One command per line on stdin, each answered by one log line:
 * `detach` closes the session (workers, store, pools) and says "test control: detached"; `attach
 * {"NAME": "value" | null, …}` sets (or, for null, unsets) those variables, reloads the configuration
 * and opens a session on the database they name, then says "test control: attached". A failure says
 * "test control: <command> failed: why". The HTTP server and Next.js stay up throughout. Stdin closing
 * stops the server, so the servers of a test worker that dies go with it.
 */
function acceptTestControl(port: number) {
  let queue = Promise.resolve();
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    queue = queue.then(() => testCommand(line.trim(), port));
  });
  lines.on("close", () => void queue.then(() => shutdown("test control closed", 0)));
}

async function testCommand(line: string, port: number) {
  const [command, json] = line.split(/ (.*)/s);
  try {
    if (command === "detach") {
      routes.length = 0;
      if (session) await closeSession(session);
      session = null;
      // The one cache outside a session that outlives a database: users seen, per environment name.
      forgetAudienceWeeks();
      log.info("test control: detached");
    } else if (command === "attach" && !session) {
      for (const [name, value] of Object.entries(JSON.parse(json ?? "{}") as Record<string, string | null>)) {
        if (value === null) delete process.env[name];
        else process.env[name] = value;
      }
      const next = loadConfig();
      const begun = await beginSession(next, parseBootstrapTokens(next.ROLLGATE_BOOTSTRAP_TOKENS));
      await startLate(begun.s, next, begun.opened, port, () => {});
      log.info("test control: attached");
    } else throw new Error(session ? "attached already" : "unknown command");
  } catch (err) {
    log.error(`test control: ${command} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

try {
  const { s, opened } = await beginSession(config, bootstrap);
  // The process's own figures, whatever database it is on.
  collectProcess(rollgateMetrics().registry);
  app = await startAppServer({
    dir: root,
    dev,
    host: config.HOST,
    port: config.PORT,
    trustProxy: config.ROLLGATE_TRUST_PROXY === "1",
    dataPlane: routes,
    dataPlaneServes: opened.entries.flatMap((entry) => entry.serves),
  });
  const port = app.port;
  await startLate(s, config, opened, port, () => log.info(`listening on http://localhost:${port}`));
  if (process.env.ROLLGATE_TEST_CONTROL === "stdin") acceptTestControl(port);
} catch (err) {
  // Expected failures (DeploymentError, DbmateError) are one line by construction; anything else is a
  // bug whose message is still enough to start from, and a stack would bury the line that matters.
  log.error(`failed to start: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown("start-up failed", 1);
}
