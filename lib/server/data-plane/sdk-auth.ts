import type { IncomingMessage } from "node:http";
import type { Db } from "../../db/client";
import { postgresIdentity } from "../../auth/identity";
import type { ConfigStore } from "../../evaluation/config-store";
import { tokenFrom } from "./http-utils";

export type SdkAuth =
  | { ok: true; environment: string; token: string; tokenId: string }
  | { ok: false; status: 401 | 403 | 429; message: string; headers: Record<string, string> };

/** The management API's error codes for the same refusals. */
export const AUTH_CODES = { 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 429: "RATE_LIMITED" } as const;

const CHALLENGE = { "www-authenticate": 'Bearer realm="rollgate"' };

/**
 * Who may use the data plane: an SDK token the in-memory store knows (no query on the hot path). A
 * token the store does not know is looked up once more: a token created a moment ago (its NOTIFY not
 * yet applied) is accepted, and a valid user token gets 403 "wrong kind" instead of 401 — a cost
 * paid only by requests the store could not answer, and capped by the same per-token limit.
 */
export function sdkAuthenticator(store: ConfigStore, db: Db, limiter: RateLimiter) {
  const identity = postgresIdentity(db);
  // Synchronous unless the token is refused: evaluation answers without creating a promise.
  return (req: IncomingMessage): SdkAuth | Promise<SdkAuth> => {
    const token = tokenFrom(req);
    if (!token) {
      return { ok: false, status: 401, message: "send an SDK token as 'Authorization: Bearer <token>' or 'X-API-Key'", headers: CHALLENGE };
    }
    const retryAfter = limiter.take(token);
    if (retryAfter > 0) {
      return {
        ok: false,
        status: 429,
        message: `too many requests for this token; retry in ${retryAfter} s`,
        headers: { "retry-after": String(retryAfter) },
      };
    }
    const entry = store.sdkToken(token);
    if (entry) return { ok: true, environment: entry.environment, token, tokenId: entry.id };
    return refusal(identity, token);
  };
}

async function refusal(identity: ReturnType<typeof postgresIdentity>, token: string): Promise<SdkAuth> {
  const principal = await identity.fromApiToken(token).catch(() => null);
  // A token created a moment ago, before its NOTIFY reached the store: the database vouches for it.
  if (principal?.kind === "sdk") return { ok: true, environment: principal.environment, token, tokenId: principal.tokenId };
  if (principal?.kind === "user") {
    return {
      ok: false,
      status: 403,
      message: "this is a user token; evaluation, the stream and events need an SDK token (an admin creates one on the Admin page)",
      headers: {},
    };
  }
  return { ok: false, status: 401, message: "unknown or revoked SDK token", headers: CHALLENGE };
}

/**
 * A token bucket per token and instance: `perSecond` requests a second on average, bursts up to one
 * second's worth (at least 10). Zero turns it off. Buckets idle for a minute are forgotten, so memory
 * follows the number of active tokens.
 */
export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();
  private sweptAt = Date.now();

  constructor(private readonly perSecond: number) {}

  /** 0 when the request may go ahead, else the whole seconds to wait. */
  take(key: string, now = Date.now()): number {
    if (this.perSecond <= 0) return 0;
    const capacity = Math.max(this.perSecond, 10);
    if (now - this.sweptAt > 60_000) this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [key, b] of this.buckets) if (now - b.at > 60_000) this.buckets.delete(key);
  }
}
