import type { Db } from "../db/client";
import { AppError } from "../errors";
import type { Principal, UserPrincipal } from "./principal";
import { isRole } from "./roles";
import { hashSecret } from "./secrets";
import { renewedExpiry, SESSION_MAX_MS } from "./sessions";

export const SESSION_COOKIE = "rollgate_session";

/**
 * Everything the app needs to know about who is calling. Sign-in proves identity (a password, or a
 * verified Supabase Auth token: lib/auth/supabase/) and ends in a Rollgate session, so these two
 * lookups serve every provider and roles always come from Rollgate's own users table.
 */
export interface IdentityProvider {
  fromSession(sessionSecret: string): Promise<UserPrincipal | null>;
  fromApiToken(token: string): Promise<Principal | null>;
}

interface UserRow {
  id: string;
  email: string;
  name: string;
  roles: string[];
  disabledAt: Date | null;
}

function toUserPrincipal(user: UserRow, via: UserPrincipal["via"]): UserPrincipal | null {
  if (user.disabledAt) return null;
  return { kind: "user", userId: user.id, email: user.email, name: user.name, roles: user.roles.filter(isRole), via };
}

/**
 * The lookups behind every signed-in request: one statement each (the credential joined to its user),
 * where the client's `include` took two round trips.
 */
export function postgresIdentity(db: Db): IdentityProvider {
  return {
    async fromSession(secret) {
      const tokenHash = hashSecret(secret);
      const [session] = await db.$queryRaw<(UserRow & { createdAt: Date; expiresAt: Date })[]>`
        SELECT s.created_at AS "createdAt", s.expires_at AS "expiresAt",
               u.id, u.email, u.name, u.roles, u.disabled_at AS "disabledAt"
          FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = ${tokenHash}`;
      const now = new Date();
      if (!session || session.expiresAt <= now || session.createdAt.getTime() + SESSION_MAX_MS <= now.getTime()) return null;
      const renewed = renewedExpiry(session, now);
      if (renewed) await db.session.update({ where: { tokenHash }, data: { expiresAt: renewed } }).catch(() => {});
      return toUserPrincipal(session, "session");
    },
    async fromApiToken(token) {
      const [row] = await db.$queryRaw<TokenRow[]>`
        SELECT t.id AS "tokenId", t.kind, t.environment_key AS "environmentKey", t.revoked_at AS "revokedAt",
               t.last_used_at AS "lastUsedAt", u.id, u.email, u.name, u.roles, u.disabled_at AS "disabledAt"
          FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = ${hashSecret(token)}`;
      if (!row || row.revokedAt) return null;
      // Coarse "last used" for the admin page: at most one write per token per minute, off the request path.
      if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
        db.apiToken.update({ where: { id: row.tokenId }, data: { lastUsedAt: new Date() } }).catch(() => {});
      }
      if (row.kind === "sdk" && row.environmentKey) {
        return { kind: "sdk", tokenId: row.tokenId, environment: row.environmentKey };
      }
      return row.id ? toUserPrincipal(row as UserRow, "token") : null;
    },
  };
}

/** An API token with its user's columns, null when the token has no user (an SDK token). */
type TokenRow = { tokenId: string; kind: string; environmentKey: string | null; revokedAt: Date | null; lastUsedAt: Date | null } & {
  [K in keyof UserRow]: UserRow[K] | null;
};

/** Anything headers can be read from: the Fetch API's `Headers`, or a Node request via `nodeHeaders`. */
export interface HeaderSource {
  get(name: string): string | null | undefined;
}

export function nodeHeaders(req: { headers: Record<string, string | string[] | undefined> }): HeaderSource {
  return {
    get: (name) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    },
  };
}

/**
 * Reads the bearer token, the X-API-Key header and the session cookie: the one parser every entry
 * point uses. X-API-Key is kept apart because only the data plane takes it (see `resolvePrincipal`).
 */
export function credentialsFrom(headers: HeaderSource): { token?: string; apiKey?: string; session?: string } {
  const auth = headers.get("authorization");
  const token = auth?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  const apiKey = headers.get("x-api-key")?.trim();
  const raw = headers
    .get("cookie")
    ?.split(";")
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${SESSION_COOKIE}=`))
    ?.slice(SESSION_COOKIE.length + 1);
  let session: string | undefined;
  try {
    session = raw ? decodeURIComponent(raw) : undefined;
  } catch {
    session = undefined; // a malformed cookie is no session, not a server error
  }
  return { token: token || undefined, apiKey: apiKey || undefined, session };
}

/**
 * The token an SDK sends to the data plane (OFREP, the stream, events, the Unleash client API):
 * `Authorization: Bearer <token>`, or `X-API-Key: <token>` as OpenFeature's OFREP providers send it.
 */
export function sdkTokenFrom(headers: HeaderSource): string | undefined {
  const { token, apiKey } = credentialsFrom(headers);
  return token ?? apiKey;
}

export const API_KEY_REFUSED =
  "X-API-Key is accepted only by evaluation (OFREP), the SDK stream and events; send the token as 'Authorization: Bearer <token>'";

/**
 * Who is calling the management API, the dashboard's data routes or a page. A token wins over a
 * cookie: automation that also carries a browser cookie acts as the token. X-API-Key is refused
 * here rather than ignored, so a client that sends it learns why it is not signed in instead of
 * acting as whatever cookie it also carries.
 */
export async function resolvePrincipal(identity: IdentityProvider, headers: HeaderSource): Promise<Principal | null> {
  const { token, apiKey, session } = credentialsFrom(headers);
  if (token) return identity.fromApiToken(token);
  if (apiKey) throw new AppError("UNAUTHENTICATED", API_KEY_REFUSED);
  if (session) return identity.fromSession(session);
  return null;
}
