// "Without the Supabase variables no Supabase code is loaded": run the loader in a fresh Node process
// that records every module it resolves, with and without the variables.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { supabaseSettings } from "../../lib/auth/supabase-settings";
import { loadConfig } from "../../lib/config";

// loadConfig takes a whole process environment; these tests pass only the variables that matter.
const env = (vars: Record<string, string>) => vars as NodeJS.ProcessEnv;

const SUPABASE_CODE = /\/lib\/auth\/supabase\/|\/node_modules\/(jose|@supabase)\//;

function loadedModules(env: Record<string, string>): { result: string | null; urls: string[] } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("SUPABASE_")));
  const out = execFileSync(
    process.execPath,
    [
      "--import",
      "tsx",
      path.resolve("tests/support/loaded-modules.mjs"),
      path.resolve("lib/auth/supabase-settings.ts"),
      "loadSupabaseSignIn",
      JSON.stringify(env),
    ],
    { env: clean as NodeJS.ProcessEnv, encoding: "utf8", timeout: 30_000 },
  );
  return JSON.parse(out) as { result: string | null; urls: string[] };
}

// Each test starts a Node process with tsx: seconds on a busy machine, beyond the default 5 s.
describe("Supabase code loading", { timeout: 30_000 }, () => {
  it("loads nothing of Supabase's (nor jose) when SUPABASE_URL and SUPABASE_ANON_KEY are unset", () => {
    const { result, urls } = loadedModules({});
    expect(result).toBeNull();
    expect(urls.some((u) => u.endsWith("/lib/auth/supabase-settings.ts"))).toBe(true);
    expect(urls.filter((u) => SUPABASE_CODE.test(u))).toEqual([]);
  });

  it("loads the verifier and jose on first use when they are set (so the check above can fail)", () => {
    const { result, urls } = loadedModules({
      SUPABASE_URL: "https://abcd.supabase.co",
      SUPABASE_ANON_KEY: "anon-key-of-at-least-20-chars",
    });
    expect(result).toBe("object");
    expect(urls.filter((u) => SUPABASE_CODE.test(u))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/lib\/auth\/supabase\/verify-access-token\.ts$/),
        expect.stringMatching(/node_modules\/jose\//),
      ]),
    );
  });
});

describe("Supabase settings", () => {
  it("are off without variables, on with URL and anon key, and refuse half a configuration", () => {
    expect(supabaseSettings({})).toBeNull();
    expect(supabaseSettings({ SUPABASE_URL: "https://abcd.supabase.co/", SUPABASE_ANON_KEY: "anon-key-of-at-least-20-chars" })).toEqual({
      url: "https://abcd.supabase.co",
      anonKey: "anon-key-of-at-least-20-chars",
    });
    expect(() => supabaseSettings({ SUPABASE_URL: "https://abcd.supabase.co" })).toThrow(
      /SUPABASE_URL and SUPABASE_ANON_KEY are set together/,
    );
    expect(() => supabaseSettings({ SUPABASE_URL: "not a url", SUPABASE_ANON_KEY: "anon-key-of-at-least-20-chars" })).toThrow(
      /SUPABASE_URL: must be the project URL/,
    );
    expect(() =>
      supabaseSettings({
        SUPABASE_URL: "https://abcd.supabase.co",
        SUPABASE_ANON_KEY: "anon-key-of-at-least-20-chars",
        SUPABASE_JWT_SECRET: "short",
      }),
    ).toThrow(/SUPABASE_JWT_SECRET/);
  });

  it("a bad Supabase variable stops start-up with a message naming it, alongside other bad values", () => {
    expect(() => loadConfig(env({ SUPABASE_URL: "https://abcd.supabase.co", PORT: "-1" }))).toThrow(
      /Invalid configuration:\n {2}PORT: .*\n {2}SUPABASE_URL: SUPABASE_URL and SUPABASE_ANON_KEY are set together/,
    );
    expect(
      loadConfig(env({ SUPABASE_URL: "https://abcd.supabase.co", SUPABASE_ANON_KEY: "anon-key-of-at-least-20-chars" })).supabase,
    ).toMatchObject({
      url: "https://abcd.supabase.co",
    });
    expect(loadConfig(env({})).supabase).toBeNull();
  });
});
