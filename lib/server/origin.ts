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

/** For a raw Node request (before Next has touched it). */
export function requestOrigin(req: IncomingMessage): string | null {
  return addressedOrigin((name) => req.headers[name], Boolean((req.socket as { encrypted?: boolean } | null)?.encrypted));
}

/**
 * Sent with every response, pages, API and data plane alike. No page may be framed (clickjacking on
 * the kill switch and approvals); the CSP leaves scripts alone (Next's inline bootstrap scripts would
 * need per-request nonces) and pins what matters without them: framing, <base>, form targets, plugins.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-frame-options": "DENY",
  "content-security-policy": "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
};

export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}
