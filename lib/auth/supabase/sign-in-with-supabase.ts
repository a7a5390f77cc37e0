import type { Db } from "../../db/client";
import { startSession, type NewSession } from "../sessions";
import type { SupabaseSettings } from "../supabase-settings";
import { supabaseVerifier, type SupabaseVerifier } from "./verify-access-token";

export type SupabaseSignInResult =
  | { ok: true; session: NewSession; email: string }
  /** A verified person Rollgate does not know (or has disabled): an admin has to add them. */
  | { ok: false; reason: "no_access"; email: string };

/**
 * Exchanges a Supabase access token for a Rollgate session. Supabase proves who the person is;
 * what they may do stays Rollgate's: the account must already exist (created by an admin, matched
 * by verified email) and keeps its roles. Nobody is created and no role is granted here.
 * Throws SupabaseTokenError when the token is not acceptable.
 */
export async function signInWithSupabase(
  db: Db,
  verifier: SupabaseVerifier,
  input: { accessToken: string; userAgent?: string },
  now = new Date(),
): Promise<SupabaseSignInResult> {
  const identity = await verifier.verify(input.accessToken);
  const user = await db.user.findUnique({ where: { email: identity.email } });
  if (!user || user.disabledAt || user.isService) return { ok: false, reason: "no_access", email: identity.email };
  const session = await startSession(
    db,
    user,
    { userAgent: input.userAgent, via: "supabase", detail: { supabaseUserId: identity.supabaseUserId } },
    now,
  );
  return { ok: true, session, email: user.email };
}

const globalForVerifier = globalThis as unknown as { __rollgateSupabaseVerifier?: { key: string; verifier: SupabaseVerifier } };

/** The service bound to this process's settings; one verifier per process so the JWKS cache is shared. */
export function supabaseSignIn(settings: SupabaseSettings) {
  const key = JSON.stringify(settings);
  let cached = globalForVerifier.__rollgateSupabaseVerifier;
  if (!cached || cached.key !== key) {
    cached = { key, verifier: supabaseVerifier(settings) };
    globalForVerifier.__rollgateSupabaseVerifier = cached;
  }
  const verifier = cached.verifier;
  return {
    signIn: (db: Db, input: { accessToken: string; userAgent?: string }, now?: Date) => signInWithSupabase(db, verifier, input, now),
  };
}
