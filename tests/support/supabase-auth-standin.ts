// A local stand-in for the Supabase Auth (GoTrue) endpoints Rollgate and supabase-js use, over real
// HTTP, issuing tokens signed the way Supabase signs them: ES256 with a `kid` published in the JWKS
// (or HS256 with the legacy shared secret), claims iss/sub/aud/exp/iat/email/role/session_id/….
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK } from "jose";

export interface StandinUser {
  email: string;
  password: string;
  /** false: the address was never confirmed (`email_confirmed_at` null). */
  confirmed?: boolean;
  id?: string;
}

export interface TokenOptions {
  alg?: "ES256" | "HS256" | "none";
  /** Sign with a key the project never published (ES256) or a different secret (HS256). */
  wrongKey?: boolean;
  claims?: Record<string, unknown>;
  expiresInSeconds?: number;
}

export interface SupabaseAuthStandin {
  url: string;
  jwtSecret: string;
  anonKey: string;
  addUser(user: StandinUser): Required<StandinUser>;
  token(email: string, options?: TokenOptions): Promise<string>;
  /** Magic links "sent" (POST /auth/v1/otp), newest last. */
  sentLinks: { email: string; redirectTo: string | undefined }[];
  close(): Promise<void>;
}

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, apikey, content-type, x-client-info, x-supabase-api-version",
  "access-control-allow-methods": "GET, POST, OPTIONS",
};

export async function startSupabaseAuthStandin(options: { port?: number; host?: string } = {}): Promise<SupabaseAuthStandin> {
  const jwtSecret = "standin-legacy-jwt-secret-with-at-least-32-characters";
  const kid = randomUUID();
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const stranger = await generateKeyPair("ES256");
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig", key_ops: ["verify"] };
  const users = new Map<string, Required<StandinUser>>();
  const sentLinks: SupabaseAuthStandin["sentLinks"] = [];
  let url = "";

  function userJson(u: Required<StandinUser>) {
    const now = new Date().toISOString();
    return {
      id: u.id,
      aud: "authenticated",
      role: "authenticated",
      email: u.email,
      email_confirmed_at: u.confirmed ? now : null,
      confirmed_at: u.confirmed ? now : null,
      phone: "",
      last_sign_in_at: now,
      app_metadata: { provider: "email", providers: ["email"] },
      user_metadata: { email: u.email, email_verified: u.confirmed, phone_verified: false, sub: u.id },
      identities: [],
      created_at: now,
      updated_at: now,
      is_anonymous: false,
    };
  }

  async function token(email: string, opts: TokenOptions = {}): Promise<string> {
    const u = users.get(email.toLowerCase()) ?? { id: randomUUID(), email, password: "", confirmed: true };
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: `${url}/auth/v1`,
      sub: u.id,
      aud: "authenticated",
      exp: now + (opts.expiresInSeconds ?? 3600),
      iat: now,
      email: u.email,
      phone: "",
      app_metadata: { provider: "email", providers: ["email"] },
      user_metadata: { email: u.email, email_verified: u.confirmed, phone_verified: false, sub: u.id },
      role: "authenticated",
      aal: "aal1",
      amr: [{ method: "password", timestamp: now }],
      session_id: randomUUID(),
      is_anonymous: false,
      ...opts.claims,
    };
    const alg = opts.alg ?? "ES256";
    if (alg === "none") {
      const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
      return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
    }
    if (alg === "HS256") {
      const secret = new TextEncoder().encode(opts.wrongKey ? `${jwtSecret}-not-this-one` : jwtSecret);
      return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(secret);
    }
    const key = opts.wrongKey ? stranger.privateKey : privateKey;
    return new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid, typ: "JWT" }).sign(key);
  }

  async function bearerUser(req: http.IncomingMessage): Promise<Required<StandinUser> | null> {
    const bearer = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
    if (!bearer) return null;
    try {
      const key = decodeProtectedHeader(bearer).alg === "HS256" ? new TextEncoder().encode(jwtSecret) : publicKey;
      const { payload } = await jwtVerify(bearer, key, { issuer: `${url}/auth/v1`, audience: "authenticated" });
      return [...users.values()].find((u) => u.id === payload.sub) ?? null;
    } catch {
      return null;
    }
  }

  const server = http.createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json", ...CORS });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method === "OPTIONS") return send(204, {});
      const { pathname, searchParams } = new URL(req.url ?? "/", "http://x");
      let raw = "";
      for await (const chunk of req) raw += chunk;
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      if (req.method === "GET" && pathname === "/auth/v1/.well-known/jwks.json") return send(200, { keys: [publicJwk] });
      if (req.method === "POST" && pathname === "/auth/v1/token" && searchParams.get("grant_type") === "password") {
        const u = users.get(String(body.email ?? "").toLowerCase());
        if (!u || u.password !== body.password)
          return send(400, { code: 400, error_code: "invalid_credentials", msg: "Invalid login credentials" });
        if (!u.confirmed) return send(400, { code: 400, error_code: "email_not_confirmed", msg: "Email not confirmed" });
        const access = await token(u.email);
        return send(200, {
          access_token: access,
          token_type: "bearer",
          expires_in: 3600,
          expires_at: Math.floor(Date.now() / 1000) + 3600,
          refresh_token: randomUUID().replaceAll("-", ""),
          user: userJson(u),
        });
      }
      if (req.method === "POST" && pathname === "/auth/v1/otp") {
        const u = users.get(String(body.email ?? "").toLowerCase());
        if (!u && body.create_user === false)
          return send(422, { code: 422, error_code: "otp_disabled", msg: "Signups not allowed for otp" });
        sentLinks.push({ email: String(body.email ?? ""), redirectTo: searchParams.get("redirect_to") ?? undefined });
        return send(200, {});
      }
      // Test-only: the link the last "email" to this address contained (implicit flow: tokens in the fragment).
      if (req.method === "GET" && pathname === "/__standin/last-link") {
        const email = String(searchParams.get("email") ?? "").toLowerCase();
        const sent = sentLinks.findLast((l) => l.email.toLowerCase() === email);
        if (!sent?.redirectTo) return send(404, { msg: "no link sent" });
        const fragment = new URLSearchParams({
          access_token: await token(email, { claims: { amr: [{ method: "otp", timestamp: Math.floor(Date.now() / 1000) }] } }),
          token_type: "bearer",
          expires_in: "3600",
          refresh_token: randomUUID().replaceAll("-", ""),
          type: "magiclink",
        });
        return send(200, { link: `${sent.redirectTo}#${fragment}` });
      }
      if (req.method === "GET" && pathname === "/auth/v1/user") {
        const u = await bearerUser(req);
        return u ? send(200, userJson(u)) : send(401, { code: 401, error_code: "bad_jwt", msg: "invalid JWT" });
      }
      send(404, { code: 404, msg: `stand-in does not implement ${req.method} ${pathname}` });
    } catch (err) {
      send(500, { code: 500, msg: (err as Error).message });
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  url = `http://${options.host ?? "127.0.0.1"}:${(server.address() as AddressInfo).port}`;

  return {
    url,
    jwtSecret,
    // Real anon keys are HS256 JWTs with role anon; Rollgate only passes it through as `apikey`.
    anonKey: await new SignJWT({ role: "anon", iss: "supabase" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(new TextEncoder().encode(jwtSecret)),
    addUser(user) {
      const full = {
        id: user.id ?? randomUUID(),
        confirmed: user.confirmed ?? true,
        email: user.email.toLowerCase(),
        password: user.password,
      };
      users.set(full.email, full);
      return full;
    },
    token,
    sentLinks,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
