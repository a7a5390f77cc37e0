// Supabase Auth as a second identity provider: real tokens (ES256 through a JWKS served over HTTP,
// and the legacy HS256 secret), verified and mapped to Rollgate users in a real database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresIdentity } from "../../lib/auth/identity";
import { signInWithSupabase } from "../../lib/auth/supabase/sign-in-with-supabase";
import { supabaseVerifier, SupabaseTokenError } from "../../lib/auth/supabase/verify-access-token";
import { startSupabaseAuthStandin, type SupabaseAuthStandin } from "../support/supabase-auth-standin";
import { setUpTestDatabase } from "../support/fixture";

let auth: SupabaseAuthStandin;

const t = setUpTestDatabase();
beforeAll(async () => {
  auth = await startSupabaseAuthStandin();
  await t.db.user.create({ data: { email: "po@example.com", name: "Pat Owner", roles: ["product_owner", "viewer"] } });
  await t.db.user.create({ data: { email: "gone@example.com", name: "Gone", roles: ["admin"], disabledAt: new Date() } });
  auth.addUser({ email: "PO@example.com", password: "pw-123456" });
  auth.addUser({ email: "stranger@example.com", password: "pw-123456" });
  auth.addUser({ email: "gone@example.com", password: "pw-123456" });
  auth.addUser({ email: "unconfirmed@example.com", password: "pw-123456", confirmed: false });
});
afterAll(() => auth?.close());

const settings = () => ({ url: auth.url, anonKey: auth.anonKey, jwtSecret: auth.jwtSecret });

async function problem(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SupabaseTokenError);
  return (err as SupabaseTokenError).problem;
}

/** "problem: why", so each refusal is shown to be for the reason the case is about. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SupabaseTokenError);
  return `${(err as SupabaseTokenError).problem}: ${String((err as SupabaseTokenError).details.internal)}`;
}

describe("Supabase access token verification", () => {
  it("accepts an ES256 token whose key comes from the project's JWKS", async () => {
    const identity = await supabaseVerifier(settings()).verify(await auth.token("po@example.com"));
    expect(identity).toMatchObject({ email: "po@example.com", supabaseUserId: expect.any(String), sessionId: expect.any(String) });
  });

  it("accepts an HS256 token signed with the legacy secret only when that secret is configured", async () => {
    const token = await auth.token("po@example.com", { alg: "HS256" });
    expect((await supabaseVerifier(settings()).verify(token)).email).toBe("po@example.com");
    expect(await problem(supabaseVerifier({ url: auth.url, anonKey: auth.anonKey }).verify(token))).toBe("invalid");
  });

  it("refuses expired tokens, other audiences, other issuers, wrong keys and alg none", async () => {
    const v = supabaseVerifier(settings());
    const po = (options: Parameters<SupabaseAuthStandin["token"]>[1]) => auth.token("po@example.com", options);
    expect(await refusal(v.verify(await po({ expiresInSeconds: -60 })))).toMatch(/^expired: "exp" claim timestamp check failed/);
    expect(await refusal(v.verify(await po({ claims: { aud: "anon" } })))).toMatch(/^invalid: .*unexpected "aud"/);
    expect(await refusal(v.verify(await po({ claims: { iss: "https://other.supabase.co/auth/v1" } })))).toMatch(
      /^invalid: .*unexpected "iss"/,
    );
    expect(await refusal(v.verify(await po({ wrongKey: true })))).toMatch(/^invalid: ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
    expect(await refusal(v.verify(await po({ alg: "HS256", wrongKey: true })))).toMatch(/^invalid: ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
    expect(await refusal(v.verify(await po({ alg: "none" })))).toBe("invalid: algorithm none is not accepted");
    expect(await refusal(v.verify(await po({ claims: { exp: undefined } })))).toMatch(/^invalid: .*missing required "exp"/);
    expect(await refusal(v.verify(await po({ claims: { role: "anon" } })))).toBe("invalid: role anon is not a signed-in user");
    expect(await refusal(v.verify(auth.anonKey))).toMatch(/^invalid: .*"aud"/); // the public anon key is no sign-in
    expect(await refusal(v.verify("not-a-jwt"))).toBe("invalid: not a JWT");
  });

  it("refuses an email Supabase has not confirmed, even if the token's user_metadata claims it is verified", async () => {
    const token = await auth.token("unconfirmed@example.com", {
      claims: { user_metadata: { email: "unconfirmed@example.com", email_verified: true } },
    });
    expect(await problem(supabaseVerifier(settings()).verify(token))).toBe("email_unverified");
  });

  it("refuses a token whose email differs from the Auth user record", async () => {
    const token = await auth.token("stranger@example.com", { claims: { email: "po@example.com" } });
    expect(await problem(supabaseVerifier(settings()).verify(token))).toBe("invalid");
  });
});

describe("signing in to Rollgate with Supabase", () => {
  it("maps a verified email to the Rollgate user with the roles an admin gave, and audits the sign-in", async () => {
    const result = await signInWithSupabase(t.db, supabaseVerifier(settings()), { accessToken: await auth.token("po@example.com") });
    expect(result).toMatchObject({ ok: true, email: "po@example.com" });
    if (!result.ok) return;
    const principal = await postgresIdentity(t.db).fromSession(result.session.secret);
    expect(principal).toMatchObject({ email: "po@example.com", roles: ["product_owner", "viewer"], via: "session" });
    const audit = await t.db.auditLog.findFirst({
      where: { action: "session.sign_in", targetId: "po@example.com" },
      orderBy: { id: "desc" },
    });
    expect(audit?.after).toMatchObject({ via: "supabase", supabaseUserId: expect.any(String) });
  });

  it("an unknown or disabled email gets no session and no account", async () => {
    const before = await t.db.user.count();
    const sessions = await t.db.session.count();
    for (const email of ["stranger@example.com", "gone@example.com"]) {
      expect(await signInWithSupabase(t.db, supabaseVerifier(settings()), { accessToken: await auth.token(email) })).toEqual({
        ok: false,
        reason: "no_access",
        email,
      });
    }
    expect(await t.db.user.count()).toBe(before);
    expect(await t.db.session.count()).toBe(sessions);
  });

  it("an unverified email gets no session", async () => {
    const sessions = await t.db.session.count();
    const token = await auth.token("unconfirmed@example.com");
    expect(await problem(signInWithSupabase(t.db, supabaseVerifier(settings()), { accessToken: token }))).toBe("email_unverified");
    expect(await t.db.session.count()).toBe(sessions);
  });
});
