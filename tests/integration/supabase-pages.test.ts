// The real production build, served twice: without the Supabase variables the sign-in page has no
// Supabase sign-in and ships no Supabase code; with them it offers it, and supabase-js still arrives
// only when someone uses it (a dynamic import).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSupabaseAuthStandin, type SupabaseAuthStandin } from "../support/supabase-auth-standin";
import type { TestApp } from "../support/test-app";
import { setUpTestApp } from "../support/fixture";

let auth: SupabaseAuthStandin;

// Before the servers: the second one is configured with the stand-in's URL.
beforeAll(async () => {
  auth = await startSupabaseAuthStandin();
});
afterAll(() => auth?.close());
const {
  apps: [plain, withSupabase],
} = setUpTestApp({
  instances: [
    { env: { SUPABASE_URL: "", SUPABASE_ANON_KEY: "", SUPABASE_JWT_SECRET: "" } },
    { env: () => ({ SUPABASE_URL: auth.url, SUPABASE_ANON_KEY: auth.anonKey }) },
  ],
});

/** The sign-in page's HTML and the text of every script it loads. */
async function signInPage(app: TestApp): Promise<{ html: string; scripts: string[] }> {
  const html = await (await fetch(`${app.url}/sign-in`)).text();
  const srcs = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]!.replaceAll("&amp;", "&"));
  expect(srcs.length).toBeGreaterThan(0);
  const scripts = await Promise.all(srcs.map(async (src) => (await fetch(new URL(src, app.url))).text()));
  return { html, scripts };
}

// Strings only supabase-js's auth client contains.
const SUPABASE_JS = /GoTrueClient|supabase-js/;

describe("Supabase sign-in on the pages", () => {
  it("without the variables: no Supabase sign-in, no Supabase code in the page, no link landing page", async () => {
    const { html, scripts } = await signInPage(plain);
    expect(html).not.toContain("Continue with Supabase");
    // The sign-in component's own chunk is part of the page even when it is not rendered, so a static
    // import of supabase-js in it would show up here: this check can fail.
    expect(scripts.some((s) => s.includes("Continue with Supabase"))).toBe(true);
    expect(scripts.filter((s) => SUPABASE_JS.test(s))).toEqual([]);
    expect((await fetch(`${plain.url}/sign-in/supabase`)).status).toBe(404);
  });

  it("with the variables: offered, and supabase-js is still not part of the page until used", async () => {
    const { html, scripts } = await signInPage(withSupabase);
    expect(html).toContain("Continue with Supabase");
    expect(html).toContain(auth.url); // the browser talks to the project directly
    expect(scripts.filter((s) => SUPABASE_JS.test(s))).toEqual([]);
    expect((await fetch(`${withSupabase.url}/sign-in/supabase`)).status).toBe(200);
  });

  it("the no-access page explains what to do", async () => {
    const res = await fetch(`${plain.url}/sign-in/no-access?email=${encodeURIComponent("<b>x</b>@example.com")}`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain("Ask an admin for access");
    expect(html).not.toContain("<b>x</b>"); // escaped, never markup
  });
});
