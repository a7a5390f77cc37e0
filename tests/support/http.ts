import { hashSecret } from "../../lib/auth/secrets";
import type { Role } from "../../lib/auth/roles";
import type { TestDatabase } from "./test-database";

export const ROLE_TOKENS: Record<Role, string> = {
  viewer: "tok-viewer-0001",
  engineer: "tok-engineer-0001",
  product_owner: "tok-po-0001",
  oncall: "tok-oncall-0001",
  admin: "tok-admin-0001",
};
export const SDK_TOKEN = "tok-sdk-production-0001";

/** ROLLGATE_BOOTSTRAP_TOKENS giving one single-role user per role plus a production SDK token. */
export const BOOTSTRAP = [
  ...Object.entries(ROLE_TOKENS).map(([role, token]) => `${role}-bot:${role}:${token}`),
  `sdk:production:${SDK_TOKEN}`,
].join(",");

/**
 * A dashboard session for `role`'s bootstrap user (`<role>-bot`), as signing in would make one: the
 * `cookie` header value for requesting pages as that user.
 */
export async function botSessionCookie(t: Pick<TestDatabase, "sql">, role: Role): Promise<string> {
  const secret = `${role}-session-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const { rows } = await t.sql(`SELECT id FROM users WHERE name = $1`, [`${role}-bot`]);
  await t.sql(`INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, now() + interval '1 hour')`, [
    hashSecret(secret),
    rows[0].id,
  ]);
  return `rollgate_session=${secret}`;
}

export interface HttpResult {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions inspect arbitrary JSON
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string } = {},
): Promise<HttpResult> {
  // Uncompressed, as most SDKs and scripts ask: Next.js gzips even a 100-byte answer for a client that
  // accepts it (fetch does), which cost the server about a millisecond per request and the test the
  // unzipping. Compression has tests of its own (static-assets, security-headers).
  const headers: Record<string, string> = { "accept-encoding": "identity" };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined || options.rawBody !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // leave as text
  }
  return { status: res.status, body };
}

/** Reads a flag's current version in `env` and PATCHes its state on top of it. */
export async function patchFlagState(
  baseUrl: string,
  token: string,
  key: string,
  env: string,
  change: Record<string, unknown>,
): Promise<HttpResult> {
  const flag = await call(baseUrl, "GET", `/api/v1/flags/${key}`, { token });
  return call(baseUrl, "PATCH", `/api/v1/flags/${key}/environments/${env}`, {
    token,
    body: { version: flag.body.environments[env].version, ...change },
  });
}

export interface PhaseInput {
  name: string;
  percent: number;
  minSoakSeconds: number;
}

/** Zero-soak phases at these percentages, for tests that only need a rollout to be live. */
export const quickPhases = (...percents: number[]): PhaseInput[] =>
  percents.map((percent) => ({ name: `${percent} %`, percent, minSoakSeconds: 0 }));

/**
 * Creates flag `key`, plans a production rollout with `phases` and starts it (phase 0 live), checking
 * every step's status so a test fails where the setup did, not later.
 */
export async function startLiveRollout(
  baseUrl: string,
  token: string,
  key: string,
  phases: PhaseInput[],
): Promise<{ key: string; id: string }> {
  const flag = await call(baseUrl, "POST", "/api/v1/flags", { token, body: { key } });
  if (flag.status !== 201) throw new Error(`creating ${key}: ${flag.status} ${JSON.stringify(flag.body)}`);
  const created = await call(baseUrl, "POST", "/api/v1/rollouts", { token, body: { flagKey: key, environment: "production", phases } });
  if (created.status !== 201) throw new Error(`planning ${key}: ${created.status} ${JSON.stringify(created.body)}`);
  const started = await call(baseUrl, "POST", `/api/v1/rollouts/${created.body.id}/advance`, { token, body: { version: 1 } });
  if (started.status !== 200 || started.body.status !== "active" || started.body.currentPhase !== 0) {
    throw new Error(`starting ${key}: ${started.status} ${JSON.stringify(started.body)}`);
  }
  return { key, id: created.body.id as string };
}
