// The server the browser tests talk to: the real `npm start` path (embedded PostgreSQL, migrations,
// demo seed) on a fresh data directory, so every run starts from the same demo state. Supabase sign-in
// is on, against a local stand-in of the Supabase Auth endpoints (real HTTP, real ES256 tokens).
import { rmSync } from "node:fs";
import { freePort } from "../support/free-port";
import { startSupabaseAuthStandin } from "../support/supabase-auth-standin";
import { SUPABASE_USERS } from "./supabase-users";
import { E2E_SDK_TOKEN } from "./sdk-token";
import { scratchPath } from "../support/scratch";
import { stopWithProcess } from "../support/stop-with-process";

// One data directory per server: several run side by side, one per Playwright worker.
const dataDir = scratchPath(`e2e-${process.env.PORT ?? "3100"}`);
rmSync(dataDir, { recursive: true, force: true });
// It lives in RAM (tests/support/scratch.ts): gone with the server, which Playwright stops with SIGTERM
// (playwright.config.ts), after PostgreSQL has shut down.
process.on("exit", () => rmSync(dataDir, { recursive: true, force: true }));
process.env.ROLLGATE_DATA_DIR = dataDir;
// Gone with the Playwright run that started it, however that run ends (playwright.config.ts).
if (process.env.E2E_RUNNER_PID) stopWithProcess(Number(process.env.E2E_RUNNER_PID));
process.env.ROLLGATE_PG_PORT = String(await freePort());
process.env.ROLLGATE_DEMO = "auto";
// A throwaway database: speed over crash safety.
process.env.ROLLGATE_PG_UNSAFE_NO_FSYNC = "1";
// The demo accounts and those the tests make: a sign-in's scrypt at a 32nd of the cost.
process.env.ROLLGATE_UNSAFE_FAST_PASSWORD_HASH = "1";
// Patient bounds on database waits: the browser tests run beside the integration tests on two cores.
process.env.ROLLGATE_DB_CONNECT_TIMEOUT_MS = "10000";
process.env.ROLLGATE_DB_STATEMENT_TIMEOUT_MS = "10000";
// Tests send their own events; synthetic traffic would make what they assert depend on timing.
process.env.ROLLGATE_DEMO_TRAFFIC = "off";
// Specs add webhooks whose receivers listen on this machine.
process.env.ROLLGATE_WEBHOOK_PRIVATE_NETWORKS = "allow";
delete process.env.DATABASE_URL;
// An SDK token, so specs can report events as a service would.
process.env.ROLLGATE_BOOTSTRAP_TOKENS = `sdk:production:${E2E_SDK_TOKEN}`;

const auth = await startSupabaseAuthStandin({ port: Number(process.env.E2E_SUPABASE_PORT ?? 0) });
for (const user of SUPABASE_USERS) auth.addUser(user);
process.env.SUPABASE_URL = auth.url;
process.env.SUPABASE_ANON_KEY = auth.anonKey;
delete process.env.SUPABASE_JWT_SECRET; // asymmetric keys only, as a new Supabase project
await import("../../scripts/start");
