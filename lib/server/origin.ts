import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Where a request was addressed, and whether a browser's Origin matches it. Proxy headers
 * (X-Forwarded-Host, -Proto, -Port, -For) are anyone's to send: unless the operator says a proxy in
 * front of us sets them (ROLLGATE_TRUST_PROXY=1), they are removed from every request before any
 * code reads them, and Next then fills them in from the real connection. So after `applyProxyPolicy`
 * the forwarded headers can be believed everywhere (route handlers, server actions, the cookie's
 * Secure flag).
 */

const FORWARDED = ["x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-for", "forwarded"];

export function applyProxyPolicy(req: IncomingMessage, trustProxy: boolean): void {
  if (trustProxy) return;
  for (const name of FORWARDED) delete req.headers[name];
}

function first(value: string | string[] | null | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  const item = v?.split(",")[0]?.trim();
  return item ? item : undefined;
}

/**
 * The origin (scheme, host and port) the client addressed: the forwarded headers where present (see
 * above: only after a trusted proxy or Next itself set them), otherwise Host and the connection.
 */
export function addressedOrigin(header: (name: string) => string | string[] | null | undefined, encrypted: boolean): string | null {
  const host = first(header("x-forwarded-host")) ?? first(header("host"));
  const proto = (first(header("x-forwarded-proto")) ?? (encrypted ? "https" : "http")).toLowerCase();
  if (!host || (proto !== "http" && proto !== "https")) return null;
  try {
    const url = new URL(`${proto}://${host}`);
    // A Host with a path, credentials or query is not a host.
    return url.pathname === "/" && !url.username && !url.password && !url.search && !url.hash ? url.origin : null;
  } catch {
    return null;
  }
}

/** Scheme, host and port must all match: http://host is not https://host, nor host:8080. */
export function sameOrigin(origin: string, expected: string | null): boolean {
  if (!expected) return false;
  try {
    return new URL(origin).origin === expected;
  } catch {
    return false;
  }
}

export type WriteOrigin = "same-origin" | "cross-origin" | "no-origin";

/**
 * Where a cookie-authenticated write comes from. Browsers send Origin with every POST, PUT, PATCH and
 * DELETE (fetch and form posts alike), so its absence means an older browser, a privacy extension
 * that strips it, or no browser at all; `Sec-Fetch-Site: same-origin`, which only the browser can
 * set, then vouches for our own page instead. Anything else cannot be told apart from a forged
 * cross-site request riding the cookie, so it is refused ("no-origin").
 */
export function writeOrigin(header: (name: string) => string | string[] | null | undefined, expected: string | null): WriteOrigin {
  // Taken whole: a browser sends one Origin, never a list, so "a, b" is no origin of ours.
  const raw = header("origin");
  const origin = Array.isArray(raw) ? raw.join(", ") : raw;
  if (origin !== undefined && origin !== null) return sameOrigin(origin, expected) ? "same-origin" : "cross-origin";
  return header("sec-fetch-site") === "same-origin" ? "same-origin" : "no-origin";
}

export const WRITE_ORIGIN_REFUSED: Record<Exclude<WriteOrigin, "same-origin">, string> = {
  "cross-origin": "Cross-origin request refused",
  "no-origin":
    "A write signed in by the session cookie must come from Rollgate's own pages (Origin or Sec-Fetch-Site: same-origin); automation sends an API token as 'Authorization: Bearer <token>'",
};

/** For a raw Node request (before Next has touched it). */
export function requestOrigin(req: IncomingMessage): string | null {
  return addressedOrigin((name) => req.headers[name], Boolean((req.socket as { encrypted?: boolean } | null)?.encrypted));
}

/**
 * The Content-Security-Policy of every response, pages, API and data plane alike: no page may be
 * framed (clickjacking on the kill switch and approvals), no <base>, no form posting elsewhere, no
 * plugins, and no script but the page's own. A page gets a fresh nonce per request (`nonce`), which
 * Next puts on each script it renders; 'strict-dynamic' lets those load the chunks they need (the
 * sign-in page's supabase-js), and browsers without CSP level 3 fall back to 'self'. An injected
 * <script> or inline handler has no nonce and does not run. Everything else (JSON, the data plane)
 * runs no script at all. `dev`: React's development build needs eval for its error overlays.
 */
export function contentSecurityPolicy(options: { nonce?: string; dev?: boolean } = {}): string {
  const scripts = options.nonce ? `'self' 'nonce-${options.nonce}' 'strict-dynamic'${options.dev ? " 'unsafe-eval'" : ""}` : "'none'";
  return `script-src ${scripts}; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'`;
}

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-frame-options": "DENY",
  "content-security-policy": contentSecurityPolicy(),
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
};

export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}

/**
 * For a request Next will answer: a nonce of its own in the response's policy, and in the request's
 * `Content-Security-Policy` header, which is where Next reads the nonce from when it renders the
 * page (what a proxy.ts would do; this server fronts every request anyway, and a proxy would make
 * Next buffer request bodies to hand them on). `x-nonce` carries it to server components that add
 * scripts of their own. Whatever the client sent in these headers is replaced.
 */
export function setPagePolicy(req: IncomingMessage, res: ServerResponse, dev: boolean): void {
  const nonce = randomBytes(16).toString("base64");
  const policy = contentSecurityPolicy({ nonce, dev });
  req.headers["content-security-policy"] = policy;
  delete req.headers["content-security-policy-report-only"];
  req.headers["x-nonce"] = nonce;
  res.setHeader("content-security-policy", policy);
}
