import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from "jose";
import { AppError } from "../../errors";
import type { SupabaseSettings } from "../supabase-settings";

/** What Rollgate takes from a verified Supabase access token and the Auth user record behind it. */
export interface SupabaseIdentity {
  supabaseUserId: string;
  email: string;
  sessionId: string | null;
}

export type SupabaseTokenProblem = "invalid" | "expired" | "email_unverified";

/** A token Rollgate does not accept; `problem` drives the message, details stay in the server log. */
export class SupabaseTokenError extends AppError {
  constructor(
    readonly problem: SupabaseTokenProblem,
    internal: string,
  ) {
    super(
      "UNAUTHENTICATED",
      problem === "expired"
        ? "Your Supabase sign-in has expired: sign in again"
        : problem === "email_unverified"
          ? "Confirm your email address with Supabase first, then sign in again"
          : "The Supabase sign-in could not be verified",
      { internal },
    );
  }
}

// Supabase signs with ES256 (or RS256) keys published in the project's JWKS; HS256 is the legacy
// shared secret, accepted only when it is configured. Never `none`, never anything else.
const ASYMMETRIC = ["ES256", "RS256"];

interface SupabaseClaims extends JWTPayload {
  email?: string;
  role?: string;
  session_id?: string;
}

export interface SupabaseVerifier {
  verify(accessToken: string): Promise<SupabaseIdentity>;
}

/**
 * Verifies a Supabase access token: signature (JWKS, or the HS256 secret), `aud` = authenticated,
 * `exp`, `iss` = <project>/auth/v1, `role` = authenticated. Email verification is read from Auth's
 * user record (`GET /auth/v1/user`, `email_confirmed_at`), not from the token: the token's
 * `user_metadata` (which carries `email_verified`) is editable by the user themself.
 */
export function supabaseVerifier(settings: SupabaseSettings, options: { fetch?: typeof fetch; now?: () => Date } = {}): SupabaseVerifier {
  const issuer = `${settings.url}/auth/v1`;
  const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
  const secret = settings.jwtSecret ? new TextEncoder().encode(settings.jwtSecret) : null;
  const doFetch = options.fetch ?? fetch;

  async function verifySignature(token: string): Promise<SupabaseClaims> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new SupabaseTokenError("invalid", "not a JWT");
    }
    const verifyOptions = {
      issuer,
      audience: "authenticated",
      requiredClaims: ["exp", "sub", "email"],
      clockTolerance: 5,
      ...(options.now ? { currentDate: options.now() } : {}),
    };
    try {
      if (alg === "HS256") {
        if (!secret) throw new SupabaseTokenError("invalid", "HS256 token but SUPABASE_JWT_SECRET is not set");
        return (await jwtVerify<SupabaseClaims>(token, secret, { ...verifyOptions, algorithms: ["HS256"] })).payload;
      }
      if (!alg || !ASYMMETRIC.includes(alg)) throw new SupabaseTokenError("invalid", `algorithm ${alg ?? "missing"} is not accepted`);
      return (await jwtVerify<SupabaseClaims>(token, jwks, { ...verifyOptions, algorithms: ASYMMETRIC })).payload;
    } catch (err) {
      if (err instanceof SupabaseTokenError) throw err;
      if (err instanceof errors.JWTExpired) throw new SupabaseTokenError("expired", err.message);
      if (err instanceof errors.JOSEError) throw new SupabaseTokenError("invalid", `${err.code}: ${err.message}`);
      throw new SupabaseTokenError("invalid", `verification failed: ${(err as Error).message}`);
    }
  }

  return {
    async verify(accessToken) {
      const claims = await verifySignature(accessToken);
      if (claims.role !== "authenticated") throw new SupabaseTokenError("invalid", `role ${String(claims.role)} is not a signed-in user`);
      if (typeof claims.email !== "string" || !claims.email.includes("@")) throw new SupabaseTokenError("invalid", "no email claim");
      const email = claims.email.trim().toLowerCase();

      const res = await doFetch(`${issuer}/user`, {
        headers: { authorization: `Bearer ${accessToken}`, apikey: settings.anonKey, accept: "application/json" },
        signal: AbortSignal.timeout(5_000),
      }).catch((err: Error) => {
        throw new SupabaseTokenError("invalid", `Supabase Auth unreachable: ${err.message}`);
      });
      if (!res.ok) throw new SupabaseTokenError("invalid", `Supabase Auth refused the token for /user: ${res.status}`);
      const user = (await res.json().catch(() => null)) as { id?: unknown; email?: unknown; email_confirmed_at?: unknown } | null;
      if (!user || user.id !== claims.sub || typeof user.email !== "string" || user.email.toLowerCase() !== email) {
        throw new SupabaseTokenError("invalid", "the Auth user record does not match the token");
      }
      if (!user.email_confirmed_at) throw new SupabaseTokenError("email_unverified", `${email} is not confirmed`);
      return { supabaseUserId: claims.sub!, email, sessionId: typeof claims.session_id === "string" ? claims.session_id : null };
    },
  };
}
