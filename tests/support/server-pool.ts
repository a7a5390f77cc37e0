// Warm servers: each integration worker keeps one server process and moves it from one test file's
// database to the next (scripts/start.ts, acceptTestControl). Starting a server costs 1.5–2 s of CPU
// and its first requests another second while Next.js loads its routes, more than most files' tests
// together; moving it costs a session (connections, migrations check, configuration, workers).
//
// What a file gets is what a fresh server would give it: its own database, data directory, bootstrap
// tokens and worker settings, a configuration read afresh, and only its own output. What carries over
// is the process: loaded code, the HTTP server and its port, /metrics counters. Tests of the process
// itself ask for one of their own (setUpTestApp's `fresh`).
import { mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { asAppRole } from "./app-role";
import { startTestApp, type TestApp } from "./test-app";
import { scratchRoot } from "./scratch";

/**
 * The settings a warm server takes per file. Each is read when a session opens (through the
 * configuration) or per request (Supabase's, in the sign-in pages); a file that sets anything else gets
 * a server of its own. Unset, each is what a fresh test server has: unset, or the value below.
 */
export const PER_FILE_SETTINGS = [
  "ROLLGATE_AUTO_ADVANCE_INTERVAL_MS",
  "ROLLGATE_GUARDRAIL_INTERVAL_MS",
  "ROLLGATE_GUARDRAIL_NO_DATA_SECONDS",
  "ROLLGATE_SDK_RATE_LIMIT",
  "ROLLGATE_AUDIENCE_FLUSH_MS",
  "ROLLGATE_STREAM_HISTORY",
  "ROLLGATE_METRICS_TOKEN",
  "DATABASE_POOLED_URL",
  "ROLLGATE_DEMO",
  "ROLLGATE_DEMO_PASSWORD",
  "SUPABASE_URL",
  "SUPABASE_ANON_KEY",
  "SUPABASE_JWT_SECRET",
] as const;

/** Where a fresh test server's value is not "unset" (tests/support/test-app.ts). */
const FRESH_DEFAULTS: Partial<Record<(typeof PER_FILE_SETTINGS)[number], string>> = { ROLLGATE_DEMO: "off" };

/**
 * Whether a warm server can take these settings. ROLLGATE_DATA_DIR too: a file that reads what the
 * server writes there (the audit anchor) names its own, and a lease gets a fresh one otherwise.
 */
export function canShare(env: Record<string, string> | undefined): boolean {
  return Object.keys(env ?? {}).every((name) => name === "ROLLGATE_DATA_DIR" || (PER_FILE_SETTINGS as readonly string[]).includes(name));
}

// Files run one after another in a worker, which keeps this module loaded (isolate: false).
let warm: TestApp | null = null;

export interface Lease {
  app: TestApp;
  /** Detaches the server from the file's database (so it can be dropped) and keeps it warm. */
  release(): Promise<void>;
}

/** A warm server on `databaseUrl` (as the owner), started if the worker has none yet. */
export async function leaseServer(settings: {
  databaseUrl: string;
  bootstrapTokens?: string;
  env?: Record<string, string>;
}): Promise<Lease> {
  // The file's own data directory is the file's to remove; one made here goes with the lease.
  const ownDataDir = settings.env?.ROLLGATE_DATA_DIR ? null : mkdtempSync(path.join(scratchRoot(), "rollgate-app-"));
  const dataDir = settings.env?.ROLLGATE_DATA_DIR ?? ownDataDir!;
  const env: Record<string, string | null> = {
    DATABASE_URL: asAppRole(settings.databaseUrl),
    DATABASE_MIGRATION_URL: settings.databaseUrl,
    ROLLGATE_BOOTSTRAP_TOKENS: settings.bootstrapTokens ?? "",
    ROLLGATE_DATA_DIR: dataDir,
    ...Object.fromEntries(PER_FILE_SETTINGS.map((name) => [name, settings.env?.[name] ?? FRESH_DEFAULTS[name] ?? null])),
  };
  let server = warm;
  warm = null;
  // The file's output starts with the attach: what the session prints while opening (the demo traffic
  // starting, Supabase sign-in) is the file's. A server started here is the file's from its first line.
  let from = 0;
  if (server) {
    try {
      from = server.output().length;
      await server.command(`attach ${JSON.stringify(env)}`);
    } catch {
      // Gone or wedged: a new one below.
      await server.stop("SIGKILL");
      server = null;
    }
  }
  if (!server) {
    from = 0;
    server = await startTestApp({
      databaseUrl: settings.databaseUrl,
      bootstrapTokens: settings.bootstrapTokens,
      env: { ...settings.env, ROLLGATE_DATA_DIR: dataDir },
      control: true,
    });
  }
  const app = server;
  let stopped = false;
  const view: TestApp = {
    url: app.url,
    pid: app.pid,
    output: () => app.output().slice(from),
    command: (line) => app.command(line),
    // A test that stops its server gets what it asked for; the next file starts another.
    stop: (signal) => ((stopped = true), app.stop(signal)),
  };
  return {
    app: view,
    async release() {
      if (!stopped) {
        try {
          await app.command("detach");
          warm = app;
        } catch {
          await app.stop("SIGKILL");
        }
      }
      if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
    },
  };
}
