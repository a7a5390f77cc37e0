import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import type { Role } from "../../../lib/auth/roles";
import { startSession } from "../../../lib/auth/sessions";
import { createApiToken } from "../../../lib/tokens/create-api-token";
import type { UserPrincipal } from "../../../lib/auth/principal";
import type { TestDatabase } from "../../support/test-database";
import { call, ROLE_TOKENS, SDK_TOKEN } from "../../support/http";
import type { World } from "./targets";

const DEMO_LOGINS: Record<Role, string> = {
  admin: "admin@rollgate.dev",
  engineer: "engineer@rollgate.dev",
  product_owner: "po@rollgate.dev",
  oncall: "oncall@rollgate.dev",
  viewer: "viewer@rollgate.dev",
};

/** Server action ids by exported name, from the production build the tests run. */
export function serverActionIds(): Map<string, string> {
  const file = path.resolve(".next/server/server-reference-manifest.json");
  let manifest: { node: Record<string, { exportedName?: string }> };
  try {
    manifest = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    throw new Error(`${file} is missing: run \`npx next build\` first (npm test does)`);
  }
  return new Map(Object.entries(manifest.node).map(([id, entry]) => [entry.exportedName ?? id, id]));
}

/**
 * From a database with the demo data (`setUpTestApp({ demo: true })`), gathers everything the generators draw from:
 * real keys and ids, a session per role, and spare users, tokens and flags that the fuzzer may
 * disable, revoke and archive without starving the rest of the run.
 */
export async function buildWorld(t: TestDatabase, baseUrl: string): Promise<World> {
  if ((await t.db.user.count({ where: { email: { in: Object.values(DEMO_LOGINS) } } })) === 0) {
    throw new Error("the fuzz world needs the demo data: setUpTestApp({ demo: true })");
  }
  // Sessions as a password sign-in leaves them (the same rows and audit entry), without its scrypt:
  // 45 of them cost ~4 s of CPU per file, and the fuzz tests sign-in through its action and route.
  const session = async (email: string) => {
    const user = await t.db.user.findUniqueOrThrow({ where: { email } });
    return `rollgate_session=${(await startSession(t.db, user, { via: "password" })).secret}`;
  };
  const cookies = {} as Record<Role, string>;
  for (const [role, email] of Object.entries(DEMO_LOGINS) as [Role, string][]) cookies[role] = await session(email);
  const throwawayCookies: string[] = [];
  for (let i = 0; i < 40; i++) throwawayCookies.push(await session(DEMO_LOGINS.viewer));
  const spareUsers = await t.sql(
    `INSERT INTO users (email, name, roles) SELECT 'spare-' || g || '@example.com', 'Spare ' || g, ARRAY['viewer'] FROM generate_series(1, 3) g RETURNING id`,
  );
  const spareUserIds = spareUsers.rows.map((r) => r.id as string);
  const admin = (await t.sql(`SELECT id FROM users WHERE email = $1`, [DEMO_LOGINS.admin])).rows[0] as { id: string };
  const adminPrincipal: UserPrincipal = {
    kind: "user",
    userId: admin.id,
    email: DEMO_LOGINS.admin,
    name: "Admin",
    roles: ["admin"],
    via: "session",
  };
  const spareTokenIds: string[] = [];
  for (const userId of spareUserIds) {
    spareTokenIds.push((await createApiToken(t.db, adminPrincipal, { kind: "user", name: "spare", userId })).id);
  }
  const spareFlagKeys: string[] = [];
  for (let i = 1; i <= 4; i++) {
    const key = `spare-flag-${i}`;
    const res = await call(baseUrl, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key } });
    if (res.status !== 201) throw new Error(`could not create ${key}: ${res.status}`);
    spareFlagKeys.push(key);
  }
  const webhooks = await t.sql(
    `INSERT INTO webhooks (environment_key, name, url) SELECT 'staging', 'fuzz ' || g, 'http://127.0.0.1:1/fuzz-' || g FROM generate_series(1, 6) g RETURNING id::text`,
  );
  const flags = await t.sql(`SELECT key FROM flags WHERE archived_at IS NULL AND key NOT LIKE 'spare-%' ORDER BY key`);
  const environments = await t.sql(`SELECT key FROM environments ORDER BY sort_order`);
  const rollouts = await t.sql(`SELECT id::text FROM rollouts`);
  const segmentIds: string[] = [];
  for (const [i, name] of ["Fuzz staff", "Fuzz beta", "Fuzz spare"].entries()) {
    const res = await call(baseUrl, "POST", "/api/v1/segments", {
      token: ROLE_TOKENS.engineer,
      body: { name, constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: [`@fuzz-${i}.example`] }] },
    });
    if (res.status !== 201) throw new Error(`could not create segment ${name}: ${res.status}`);
    segmentIds.push(String(res.body.id));
  }
  // The first segment is in use (by a spare flag, which the fuzzer may archive: it still refers to it), so
  // deleting it is refused.
  const used = await call(baseUrl, "PATCH", `/api/v1/flags/${spareFlagKeys[0]}/environments/staging`, {
    token: ROLE_TOKENS.engineer,
    body: { version: 1, targeting: { strategies: [{ rollout: 100, segments: [Number(segmentIds[0])] }] } },
  });
  if (used.status !== 200) throw new Error(`could not use segment ${segmentIds[0]}: ${used.status} ${JSON.stringify(used.body)}`);
  return {
    flagKeys: flags.rows.map((r) => r.key as string),
    spareFlagKeys,
    environments: environments.rows.map((r) => r.key as string),
    rolloutIds: [...rollouts.rows.map((r) => r.id as string), "00000000-0000-4000-8000-000000000000", "1"],
    segmentIds,
    spareUserIds,
    spareTokenIds,
    webhookIds: webhooks.rows.map((r) => r.id as string),
    tokens: ROLE_TOKENS,
    sdkToken: SDK_TOKEN,
    origin: new URL(baseUrl).origin,
    cookies,
    throwawayCookies,
  };
}

/**
 * Everything a refused request must leave alone, as one comparable string. Sign-in bookkeeping
 * (sessions, failed-attempt counters and their lock-out audit entries) is excluded: recording a
 * failed sign-in is the point of a refused sign-in. The audit entries of the background workers
 * (guardrails, automatic progression), which act on their own clock, are counted apart
 * (`worker_actions`), so a change one of them made can be told from a request's (`workerActed`).
 */
export async function fingerprint(t: TestDatabase): Promise<string> {
  return JSON.stringify((await t.sql(FINGERPRINT_SQL)).rows[0]);
}

/** True when a background worker wrote an audit entry between two fingerprints. */
export function workerActed(before: string, after: string): boolean {
  const actions = (snapshot: string) => (JSON.parse(snapshot) as { worker_actions?: unknown }).worker_actions;
  return actions(before) !== actions(after);
}

export interface Fingerprinter {
  /** The fingerprint now (see `fingerprint`). */
  read(): Promise<string>;
  close(): Promise<void>;
}

/**
 * `fingerprint` for a run that reads it after every request (~2,200 times a shard): over a connection
 * of its own, as a prepared statement, so PostgreSQL parses and plans its 26 subqueries once instead
 * of every time (planning cost more than running them). The same query, so it sees the same changes.
 *
 * Most requests write nothing, so most reads only compare snapshots: two statements whose snapshots
 * (`xmin:xmax:in-progress ids`) are equal see exactly the same committed rows. A commit since the
 * last full read changes the snapshot whichever transaction made it (one in progress then leaves
 * the list; a later one moves xmax past it), and then the full query runs again. The short cut
 * cost 0.1 ms where the full query costs ~1.7 ms of PostgreSQL and client CPU.
 */
export async function openFingerprinter(t: TestDatabase): Promise<Fingerprinter> {
  const client = new pg.Client({ connectionString: t.url });
  await client.connect();
  let last: { snapshot: string; fingerprint: string } | null = null;
  return {
    read: async () => {
      if (last) {
        const { rows } = await client.query<{ snapshot: string }>({ name: "fuzz-snapshot", text: SNAPSHOT_SQL });
        if (rows[0]!.snapshot === last.snapshot) return last.fingerprint;
      }
      const { rows } = await client.query<Record<string, unknown>>({
        name: "fuzz-fingerprint",
        text: `SELECT pg_current_snapshot()::text AS snapshot, f.* FROM (${FINGERPRINT_SQL}) f`,
      });
      const { snapshot, ...fields } = rows[0]!;
      last = { snapshot: String(snapshot), fingerprint: JSON.stringify(fields) };
      return last.fingerprint;
    },
    close: () => client.end(),
  };
}

const SNAPSHOT_SQL = "SELECT pg_current_snapshot()::text AS snapshot";

const FINGERPRINT_SQL = `
    SELECT (SELECT count(*) FROM flags) AS flags,
           (SELECT count(*) FILTER (WHERE archived_at IS NOT NULL) FROM flags) AS archived,
           (SELECT coalesce(sum(version), 0) FROM flag_states) AS state_versions,
           (SELECT string_agg(md5(description), '' ORDER BY key) FROM flags) AS descriptions,
           (SELECT coalesce(sum(settings_version), 0) FROM flags) AS flag_versions,
           (SELECT count(*) FROM users) AS users,
           (SELECT string_agg(md5(roles::text || coalesce(disabled_at::text, '') || coalesce(password_hash, '')), '' ORDER BY id) FROM users) AS user_state,
           (SELECT count(*) FROM api_tokens) AS tokens,
           (SELECT count(*) FILTER (WHERE revoked_at IS NOT NULL) FROM api_tokens) AS revoked,
           (SELECT count(*) FROM environments) AS environments,
           (SELECT count(*) FROM rollouts) AS rollouts,
           (SELECT coalesce(sum(version), 0) FROM rollouts) AS rollout_versions,
           (SELECT count(*) FROM checklist_ticks) AS ticks,
           (SELECT count(*) FROM approvals) AS approvals,
           (SELECT count(*) FROM incidents) AS incidents,
           (SELECT count(*) FROM segments) AS segments,
           (SELECT coalesce(sum(version), 0) FROM segments) AS segment_versions,
           (SELECT string_agg(md5(coalesce(targeting::text, '')), '' ORDER BY flag_id, environment_key) FROM flag_states) AS targeting,
           -- Ordered by the digest itself: two flags can share a metric and threshold, and heap order is not stable.
           (SELECT string_agg(h, '' ORDER BY h) FROM (SELECT md5(flag_id::text || environment_key || metric || threshold || action || dry_run) AS h FROM guardrails) g) AS guardrails,
           (SELECT coalesce(sum(version), 0) FROM incidents) AS incident_versions,
           (SELECT count(*) FROM incident_events) AS incident_events,
           (SELECT count(*) FILTER (WHERE killed) FROM flag_states) AS killed,
           (SELECT count(*) FROM events) AS events,
           (SELECT count(*) FROM ingest_batches) AS batch_claims,
           (SELECT count(*) FROM webhooks) AS webhooks,
           (SELECT count(*) FILTER (WHERE enabled) FROM webhooks) AS webhooks_enabled,
           (SELECT count(*) FROM webhook_deliveries) AS webhook_deliveries,
           -- Not the workers' own entries: a guardrail pass judging events accepted earlier wrote two
           -- during refused requests once, when a loaded machine stretched a shard past the 60 s interval.
           (SELECT count(*) FILTER (WHERE action NOT IN ('session.sign_in', 'user.sign_in_locked') AND actor NOT LIKE 'system (%') FROM audit_log) AS audit,
           -- The workers' own entries, each in the transaction of what it changed: when these moved
           -- too, a worker acted during the request (workerActed), and the change is not the request's.
           (SELECT count(*) FILTER (WHERE actor LIKE 'system (%') FROM audit_log) AS worker_actions`;
