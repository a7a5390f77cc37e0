import { readFileSync } from "node:fs";
import { get as httpGet, type IncomingHttpHeaders } from "node:http";
import path from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { signIn } from "../../lib/auth/sessions";
import { DEMO_TEST_PASSWORD, setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { serverActionIds } from "../fuzz/support/fuzz-world";

/**
 * Framing, sniffing and referrer headers on every kind of response, and the same-origin check on
 * cookie-authenticated writes: scheme, host and port must match, and X-Forwarded-* count only when
 * ROLLGATE_TRUST_PROXY=1 says a proxy sets them.
 */
const PASSWORD = DEMO_TEST_PASSWORD;
let cookie: string;

const {
  t,
  apps: [app, proxied],
} = setUpTestApp({
  demo: true,
  instances: [{ bootstrapTokens: BOOTSTRAP }, { env: { ROLLGATE_TRUST_PROXY: "1" } }],
});
beforeAll(async () => {
  cookie = `rollgate_session=${(await signIn(t.db, { email: "engineer@rollgate.dev", password: PASSWORD })).secret}`;
});

const NONCED = /^script-src 'self' 'nonce-([A-Za-z0-9+/]{22}==)' 'strict-dynamic';/;

function expectSecurityHeaders(res: Response, what: string) {
  expect(res.headers.get("x-frame-options"), what).toBe("DENY");
  const csp = res.headers.get("content-security-policy") ?? "";
  for (const directive of ["frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'", "object-src 'none'"]) {
    expect(csp, what).toContain(directive);
  }
  // Pages and whatever else Next answers run only scripts with the request's nonce; the data plane's
  // and the request guard's own answers run none.
  expect(csp, what).toMatch(/^script-src ('none'|'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic');/);
  expect(res.headers.get("x-content-type-options"), what).toBe("nosniff");
  expect(res.headers.get("referrer-policy"), what).toBe("strict-origin-when-cross-origin");
}

describe("security headers", () => {
  it("are on pages, redirects, API answers, refusals and the data plane", async () => {
    const auth = { authorization: `Bearer ${ROLE_TOKENS.viewer}` };
    const sdk = { authorization: `Bearer ${SDK_TOKEN}`, "content-type": "application/json" };
    const cases: [string, Promise<Response>][] = [
      ["sign-in page", fetch(`${app.url}/sign-in`)],
      ["dashboard page", fetch(`${app.url}/flags`, { headers: { cookie } })],
      ["redirect to sign-in", fetch(`${app.url}/flags`, { redirect: "manual" })],
      ["API", fetch(`${app.url}/api/v1/flags`, { headers: auth })],
      ["API 401", fetch(`${app.url}/api/v1/flags`)],
      ["unknown API route", fetch(`${app.url}/api/v1/nothing-here`, { headers: auth })],
      ["bad path", fetch(`${app.url}/flags/%zz`)],
      ["missing static asset", fetch(`${app.url}/favicon.ico`)],
      ["public file", fetch(`${app.url}/robots.txt`)],
      ["icon", fetch(`${app.url}/icon.svg`)],
      ["build chunk", firstChunk().then((chunk) => fetch(`${app.url}${chunk}`))],
      ["OFREP", fetch(`${app.url}/ofrep/v1/evaluate/flags`, { method: "POST", headers: sdk, body: '{"context":{"targetingKey":"u1"}}' })],
    ];
    for (const [what, pending] of cases) {
      const res = await pending;
      await res.arrayBuffer();
      expectSecurityHeaders(res, what);
    }
  });
});

describe("what a browser and a crawler ask of every site", () => {
  it("robots.txt keeps crawlers out, and the sign-in and dashboard pages name the icon", async () => {
    const robots = await fetch(`${app.url}/robots.txt`);
    expect(robots.status).toBe(200);
    expect(await robots.text()).toMatch(/^User-agent: \*\nDisallow: \/$/m);
    for (const [what, init] of [
      ["/sign-in", {}],
      ["/flags", { headers: { cookie } }],
    ] as const) {
      const html = await (await fetch(`${app.url}${what}`, init)).text();
      const href = html.match(/<link rel="icon" href="([^"]+)"[^>]*type="image\/svg\+xml"/)?.[1];
      expect(href, what).toMatch(/^\/icon\.svg/);
      const icon = await fetch(`${app.url}${href}`);
      expect(icon.status, what).toBe(200);
      expect(icon.headers.get("content-type"), what).toMatch(/^image\/svg\+xml/);
      expect(await icon.text(), what).toMatch(/^<svg [^>]*viewBox="0 0 32 32"/);
    }
  });
});

/** The first script a page loads from the build (/_next/static/…). */
async function firstChunk(): Promise<string> {
  const html = await (await fetch(`${app.url}/sign-in`)).text();
  const chunk = html.match(/\/_next\/static\/chunks\/[\w.-]+\.js/)?.[0];
  expect(chunk).toBeDefined();
  return chunk!;
}

describe("the build's scripts (lib/server/static-assets.ts)", () => {
  it("come Brotli-compressed to a browser, gzipped or plain to others, as the file the build wrote, and say they never change", async () => {
    const chunk = await firstChunk();
    const onDisk = readFileSync(path.join(".next", chunk.slice("/_next".length)));
    const browser = await raw(chunk, { "accept-encoding": "gzip, deflate, br, zstd" });
    expect(browser.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(browser.body).equals(onDisk)).toBe(true);
    expect(browser.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(browser.headers["content-type"]).toBe("application/javascript; charset=utf-8");
    const gzip = await raw(chunk, { "accept-encoding": "gzip" });
    expect(gunzipSync(gzip.body).equals(onDisk)).toBe(true);
    const plain = await raw(chunk, {});
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.body.equals(onDisk)).toBe(true);
    // A revalidation with the validator it was given is a 304.
    expect((await raw(chunk, { "if-none-match": String(plain.headers.etag) })).status).toBe(304);
    // A chunk the build did not write is Next's 404, as before.
    expect((await raw("/_next/static/chunks/not-in-this-build.js", {})).status).toBe(404);
  });
});

/** A GET whose body is left as sent (fetch would decompress it). */
function raw(pathname: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(`${app.url}${pathname}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
  });
}

describe("the script policy", () => {
  const page = async (headers: Record<string, string> = {}) => {
    const res = await fetch(`${app.url}/flags`, { headers: { cookie, ...headers } });
    const html = await res.text();
    return { csp: res.headers.get("content-security-policy") ?? "", html };
  };

  it("gives each page a fresh nonce, which every script Next renders carries", async () => {
    const [one, two] = [await page(), await page()];
    const nonce = one.csp.match(NONCED)?.[1];
    expect(nonce, one.csp).toBeDefined();
    expect(two.csp.match(NONCED)?.[1]).not.toBe(nonce);
    const scripts = [...one.html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(3);
    expect(scripts.filter((tag) => !tag.includes(`nonce="${nonce}"`))).toEqual([]);
  });

  it("cannot be chosen by the client: a policy or x-nonce sent with the request is replaced", async () => {
    const forged = await page({
      "content-security-policy": "script-src 'nonce-Zm9yZ2VkZm9yZ2VkZm9yZ2VkZg=='",
      "x-nonce": "Zm9yZ2VkZm9yZ2VkZm9yZ2VkZg==",
    });
    const nonce = forged.csp.match(NONCED)?.[1];
    expect(nonce).toBeDefined();
    expect(nonce).not.toBe("Zm9yZ2VkZm9yZ2VkZm9yZ2VkZg==");
    expect(forged.html).not.toContain("Zm9yZ2VkZm9yZ2VkZm9yZ2VkZg==");
    expect(forged.html).toContain(`nonce="${nonce}"`);
  });

  it("lets JSON and the data plane run no script at all", async () => {
    const ofrep = await fetch(`${app.url}/ofrep/v1/evaluate/flags`, {
      method: "POST",
      headers: { authorization: `Bearer ${SDK_TOKEN}`, "content-type": "application/json" },
      body: '{"context":{"targetingKey":"u1"}}',
    });
    expect(ofrep.headers.get("content-security-policy")).toBe(
      "script-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
    );
  });

  it("gives a page that is not found a nonce too (it is rendered per request, not prerendered without one)", async () => {
    const res = await fetch(`${app.url}/no-such-page`, { headers: { cookie } });
    const html = await res.text();
    expect(res.status).toBe(404);
    const nonce = res.headers.get("content-security-policy")?.match(NONCED)?.[1];
    expect(nonce).toBeDefined();
    expect([...html.matchAll(/<script\b[^>]*>/g)].filter((m) => !m[0].includes(`nonce="${nonce}"`))).toEqual([]);
  });
});

describe("same-origin check on cookie-authenticated writes", () => {
  const post = (base: string, headers: Record<string, string>) =>
    fetch(`${base}/api/v1/flags`, { method: "POST", headers: { cookie, "content-type": "application/json", ...headers }, body: "{}" });

  it("compares scheme, host and port, and ignores X-Forwarded-* from clients by default", async () => {
    const self = new URL(app.url);
    // Same origin reaches validation (400 for the empty body); everything else is refused (403).
    expect((await post(app.url, { origin: self.origin })).status).toBe(400);
    expect((await post(app.url, { origin: `https://${self.host}` })).status).toBe(403);
    expect((await post(app.url, { origin: `http://${self.hostname}:1` })).status).toBe(403);
    expect((await post(app.url, { origin: "http://evil.example" })).status).toBe(403);
    expect((await post(app.url, { origin: "http://evil.example", "x-forwarded-host": "evil.example" })).status).toBe(403);
    expect((await post(app.url, { origin: `https://${self.host}`, "x-forwarded-proto": "https" })).status).toBe(403);
  });

  it("refuses a cookie-authenticated write that does not say where it comes from; Sec-Fetch-Site: same-origin vouches instead of Origin", async () => {
    const missing = await post(app.url, {});
    expect(missing.status).toBe(403);
    expect((await missing.json()).error).toEqual({
      code: "FORBIDDEN",
      message:
        "A write signed in by the session cookie must come from Rollgate's own pages (Origin or Sec-Fetch-Site: same-origin); automation sends an API token as 'Authorization: Bearer <token>'",
    });
    expect((await post(app.url, { "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await post(app.url, { "sec-fetch-site": "same-site" })).status).toBe(403);
    expect((await post(app.url, { "sec-fetch-site": "same-origin" })).status).toBe(400);
    // An Origin that is there decides, whatever Sec-Fetch-Site says.
    expect((await post(app.url, { "sec-fetch-site": "same-origin", origin: "http://evil.example" })).status).toBe(403);
    // A token carries no ambient credential: no Origin needed.
    const byToken = await fetch(`${app.url}/api/v1/flags`, {
      method: "POST",
      headers: { authorization: `Bearer ${ROLE_TOKENS.engineer}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(byToken.status).toBe(400);
  });

  it("refuses a server action with a session but no Origin; one without a session (signing in) needs none", async () => {
    const action = (headers: Record<string, string>) =>
      fetch(`${app.url}/flags`, {
        method: "POST",
        headers: { "next-action": serverActionIds().get("signOutAction")!, "content-type": "text/plain", ...headers },
        body: "[]",
        redirect: "manual",
      });
    const before = await t.sql(`SELECT count(*)::int AS n FROM sessions`);
    expect((await action({ cookie })).status).toBe(403);
    expect((await action({ cookie, "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await t.sql(`SELECT count(*)::int AS n FROM sessions`)).rows).toEqual(before.rows);
    const signingIn = await fetch(`${app.url}/sign-in`, {
      method: "POST",
      headers: { "next-action": serverActionIds().get("signInAction")!, "content-type": "text/plain" },
      body: '[{},"$undefined"]',
    });
    expect(signingIn.status).toBe(200);
  });

  it("refuses cross-origin form posts the same way (scheme, and untrusted X-Forwarded-Host)", async () => {
    const self = new URL(app.url);
    const action = (headers: Record<string, string>) =>
      fetch(`${app.url}/sign-in`, {
        method: "POST",
        headers: { "next-action": serverActionIds().get("signInAction")!, "content-type": "text/plain", ...headers },
        body: '[{},"$undefined"]',
      });
    expect((await action({ origin: `https://${self.host}` })).status).toBe(403);
    expect((await action({ origin: "http://evil.example", "x-forwarded-host": "evil.example" })).status).toBe(403);
    expect((await action({ origin: self.origin })).status).not.toBe(403);
  });

  it("with ROLLGATE_TRUST_PROXY=1 the proxy's host and scheme are what the browser's Origin must match", async () => {
    const viaProxy = { "x-forwarded-host": "rollgate.example", "x-forwarded-proto": "https" };
    expect((await post(proxied.url, { ...viaProxy, origin: "https://rollgate.example" })).status).toBe(400);
    expect((await post(proxied.url, { ...viaProxy, origin: "http://rollgate.example" })).status).toBe(403);
    expect((await post(proxied.url, { ...viaProxy, origin: "https://rollgate.example:8443" })).status).toBe(403);
    expect((await post(proxied.url, { ...viaProxy, origin: new URL(proxied.url).origin })).status).toBe(403);
  });

  it("the session cookie is Secure only when a trusted proxy says the browser used HTTPS", async () => {
    const setCookie = async (base: string) => {
      const body = new FormData();
      body.append("_1_email", "viewer@rollgate.dev");
      body.append("_1_password", PASSWORD);
      body.append("0", '[{},"$K1"]');
      const res = await fetch(`${base}/sign-in`, {
        method: "POST",
        headers: { "next-action": serverActionIds().get("signInAction")!, accept: "text/x-component", "x-forwarded-proto": "https" },
        body,
        redirect: "manual",
      });
      await res.arrayBuffer();
      return res.headers.get("set-cookie") ?? "";
    };
    const direct = await setCookie(app.url);
    expect(direct).toMatch(/rollgate_session=/);
    expect(direct).not.toMatch(/;\s*Secure/i);
    expect(await setCookie(proxied.url)).toMatch(/rollgate_session=[^;]+;.*Secure/i);
  });
});
