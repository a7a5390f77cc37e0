import path from "node:path";
import { z } from "zod";
import { supabaseSettings, type SupabaseSettings } from "./auth/supabase-settings";

const optionalUrl = () => z.string().url("must be a postgres:// URL").optional();

const schema = z.object({
  DATABASE_URL: optionalUrl(),
  // Optional second URL for ordinary queries, e.g. a transaction pooler; DATABASE_URL (a direct or
  // session connection) still carries migrations, the start-up lock and LISTEN.
  DATABASE_POOLED_URL: optionalUrl(),
  // The owner of the tables, for migrations and the start-up lock, when DATABASE_URL is the
  // least-privileged app role. Defaults to DATABASE_URL.
  DATABASE_MIGRATION_URL: optionalUrl(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  // Believe X-Forwarded-Host/-Proto only when a proxy in front of every instance sets them.
  ROLLGATE_TRUST_PROXY: z.enum(["0", "1"], { error: "must be 0 or 1" }).default("0"),
  /** Whether webhooks may target loopback, private and link-local addresses (lib/notifications/private-networks.ts). */
  ROLLGATE_WEBHOOK_PRIVATE_NETWORKS: z.enum(["deny", "allow"], { error: "must be deny or allow" }).default("deny"),
  ROLLGATE_DATA_DIR: z.string().default(".data"),
  ROLLGATE_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  // Test suites only: the embedded PostgreSQL without fsync, synchronous commit or full-page writes.
  ROLLGATE_PG_UNSAFE_NO_FSYNC: z.enum(["0", "1"], { error: "must be 0 or 1" }).default("0"),
  // Test suites only: new password hashes at scrypt N=2^10 instead of 2^15 (lib/auth/password.ts).
  ROLLGATE_UNSAFE_FAST_PASSWORD_HASH: z.enum(["0", "1"], { error: "must be 0 or 1" }).default("0"),
  // Bounded waits on the database (lib/db/bounded-pool.ts): a connection, and a statement's answer.
  ROLLGATE_DB_CONNECT_TIMEOUT_MS: z.coerce
    .number()
    .int("must be whole milliseconds")
    .min(100, "at least 100")
    .max(60_000, "at most 60000")
    .default(2000),
  ROLLGATE_DB_STATEMENT_TIMEOUT_MS: z.coerce
    .number()
    .int("must be whole milliseconds")
    .min(100, "at least 100")
    .max(300_000, "at most 300000")
    .default(2500),
  // How long an unused pooled connection stays open (lib/db/bounded-pool.ts).
  ROLLGATE_DB_IDLE_TIMEOUT_MS: z.coerce
    .number()
    .int("must be whole milliseconds")
    .min(1000, "at least 1000")
    .max(3_600_000, "at most 3600000")
    .default(300_000),
  ROLLGATE_BOOTSTRAP_TOKENS: z.string().default(""),
  ROLLGATE_DEMO: z.enum(["auto", "off"]).default("auto"),
  ROLLGATE_DEMO_PASSWORD: z.string().min(8, "at least 8 characters").default("rollgate-demo"),
  // With demo data, a synthetic service sends traffic through the SDK so charts and gates have data.
  ROLLGATE_DEMO_TRAFFIC: z.enum(["auto", "off"]).default("auto"),
  // How often guardrails are evaluated (by one instance at a time).
  ROLLGATE_GUARDRAIL_INTERVAL_MS: z.coerce.number().int().min(100, "at least 100").max(60_000, "at most 60000").default(5000),
  // A live split with guardrails that reports no traffic this long is held (paused) and announced.
  ROLLGATE_GUARDRAIL_NO_DATA_SECONDS: z.coerce
    .number({ error: "must be a number of seconds" })
    .int("must be a whole number of seconds")
    .min(10, "at least 10")
    .max(86_400, "at most 86400")
    .default(900),
  // Raw events are kept this many days (pruned a whole UTC day at a time); the per-minute rollups
  // that charts, gates and guardrails read are kept for ROLLGATE_ROLLUP_RETENTION_DAYS.
  ROLLGATE_EVENT_RETENTION_DAYS: z.coerce
    .number({ error: "must be a number of days" })
    .int("must be a whole number of days")
    .min(1, "at least 1 day")
    .max(365, "at most 365 days")
    .default(7),
  ROLLGATE_ROLLUP_RETENTION_DAYS: z.coerce
    .number({ error: "must be a number of days" })
    .int("must be a whole number of days")
    .min(7, "at least 7 days (the longest chart range)")
    .max(3650, "at most 3650 days")
    .default(365),
  // Data-plane requests (evaluation, stream connections, event batches) per second per SDK token and
  // instance; beyond it 429 with Retry-After. 0 turns the limit off.
  ROLLGATE_SDK_RATE_LIMIT: z.coerce
    .number({ error: "must be a number of requests per second" })
    .int("must be a whole number")
    .min(0, "at least 0 (0 turns the limit off)")
    .max(10_000_000, "at most 10000000")
    .default(50_000),
  // Configuration patches each instance keeps per environment, so an SDK that reconnects gets only
  // the changes it missed; one further behind gets the whole snapshot. 0 sends snapshots only.
  ROLLGATE_STREAM_HISTORY: z.coerce
    .number({ error: "must be a number of patches" })
    .int("must be a whole number")
    .min(0, "at least 0 (0 keeps none)")
    .max(100_000, "at most 100000")
    .default(256),
  // One JSON object per log line, or the `[rollgate] …` lines; read by lib/log/logger.ts (default: pretty on a terminal, else json).
  ROLLGATE_LOG_FORMAT: z.enum(["json", "pretty"], { error: "must be json or pretty" }).optional(),
  // When set, GET /metrics answers only `Authorization: Bearer <this>`.
  ROLLGATE_METRICS_TOKEN: z.string().min(16, "at least 16 characters").optional(),
  // How often the automatic-progression worker looks for rollouts whose gates turned green.
  ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: z.coerce
    .number({ error: "must be a number of milliseconds" })
    .int("must be a whole number of milliseconds")
    .min(100, "at least 100 ms")
    .max(3_600_000, "at most 3600000 ms (1 h)")
    .default(15_000),
  // How often OFREP's sample of the users it evaluated is written (lib/segments/audience-samples.ts).
  ROLLGATE_AUDIENCE_FLUSH_MS: z.coerce
    .number({ error: "must be a number of milliseconds" })
    .int("must be a whole number of milliseconds")
    .min(100, "at least 100 ms")
    .max(3_600_000, "at most 3600000 ms (1 h)")
    .default(10_000),
});

export type Config = z.infer<typeof schema> & { dataDir: string; supabase: SupabaseSettings | null };

/** Parsed once at start-up; a bad value stops the process with a message naming the variable. */
export function loadConfig(given: NodeJS.ProcessEnv = process.env): Config {
  const env = withoutEmpty(given);
  const parsed = schema.safeParse(env);
  const lines = parsed.success ? [] : parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
  // Supabase sign-in is optional (SUPABASE_URL + SUPABASE_ANON_KEY, and SUPABASE_JWT_SECRET for HS256 tokens).
  let supabase: SupabaseSettings | null = null;
  try {
    supabase = supabaseSettings(env);
  } catch (err) {
    lines.push(`  ${(err as Error).message.replace(/^Invalid Supabase configuration: /, "")}`);
  }
  if (env.DATABASE_MIGRATION_URL && !env.DATABASE_URL)
    lines.push("  DATABASE_MIGRATION_URL: needs DATABASE_URL (the app's connection) as well");
  if (env.DATABASE_POOLED_URL && !env.DATABASE_URL) lines.push("  DATABASE_POOLED_URL: needs DATABASE_URL (the direct connection) as well");
  // One mistake is one line (as a log line should be); several are listed one per line.
  if (lines.length === 1) throw new Error(`Invalid configuration: ${lines[0]!.trim()}`);
  if (!parsed.success || lines.length) throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  return { ...parsed.data, dataDir: path.resolve(parsed.data.ROLLGATE_DATA_DIR), supabase };
}

/**
 * The variables that are set to something. Set but empty counts as unset, as `VAR=` in a shell or an
 * env file and compose's `${VAR:-}` leave a variable: otherwise `PORT=` would be port 0 (a random
 * one), `ROLLGATE_SDK_RATE_LIMIT=` 0 (no limit) and `ROLLGATE_DEMO=` a refused start.
 */
function withoutEmpty(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== "")) as NodeJS.ProcessEnv;
}

/** The data dir alone, for code that runs inside Next (pages) where the full config is not passed in. */
export function dataDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  // A directory chosen at run time, never a file to ship: without the comment Turbopack's output
  // tracing followed it and traced the whole project into the server build.
  return path.resolve(/* turbopackIgnore: true */ env.ROLLGATE_DATA_DIR || ".data");
}
