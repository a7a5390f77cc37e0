// "Without the Supabase variables no Supabase code is loaded": run the loader in a fresh Node process
// that records every module it resolves, with and without the variables.
import { execFileSync, spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { anonKeyProblem, supabaseSettings } from "../../lib/auth/supabase-settings";
import { loadConfig } from "../../lib/config";

// loadConfig takes a whole process environment; these tests pass only the variables that matter.
const env = (vars: Record<string, string>) => vars as NodeJS.ProcessEnv;

/** A key shaped like Supabase's legacy anon key: a JWT whose payload says role anon (the signature is not checked here). */
const fakeJwt = (payload: object) =>
  [{ alg: "HS256", typ: "JWT" }, payload].map((part) => Buffer.from(JSON.stringify(part)).toString("base64url")).join(".") +
  ".c2lnbmF0dXJl";
const ANON_KEY = fakeJwt({ iss: "supabase", ref: "abcdefghijklmnopqrst", role: "anon" });

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
      SUPABASE_ANON_KEY: ANON_KEY,
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
    expect(supabaseSettings({ SUPABASE_URL: "https://abcd.supabase.co/", SUPABASE_ANON_KEY: ANON_KEY })).toEqual({
      url: "https://abcd.supabase.co",
      anonKey: ANON_KEY,
    });
    expect(() => supabaseSettings({ SUPABASE_URL: "https://abcd.supabase.co" })).toThrow(
      /SUPABASE_URL and SUPABASE_ANON_KEY are set together/,
    );
    expect(() => supabaseSettings({ SUPABASE_URL: "not a url", SUPABASE_ANON_KEY: ANON_KEY })).toThrow(
      /SUPABASE_URL: must be the project URL/,
    );
    expect(() =>
      supabaseSettings({
        SUPABASE_URL: "https://abcd.supabase.co",
        SUPABASE_ANON_KEY: ANON_KEY,
        SUPABASE_JWT_SECRET: "short",
      }),
    ).toThrow(/SUPABASE_JWT_SECRET/);
  });

  it("take the anon JWT or a publishable key, and refuse a secret or malformed key with what to use instead", () => {
    expect(anonKeyProblem(ANON_KEY)).toBeNull();
    expect(anonKeyProblem("sb_publishable_AbCdEf0123456789_xyz")).toBeNull();
    expect(anonKeyProblem(fakeJwt({ iss: "supabase", role: "service_role" }))).toMatch(/is a secret key .*use the anon or publishable key/);
    expect(anonKeyProblem("sb_secret_AbCdEf0123456789_xyz")).toMatch(/is a secret key/);
    for (const malformed of [
      "anon-key-of-at-least-20-chars", // a placeholder
      `"${ANON_KEY}"`, // quoted in an env file
      ANON_KEY.slice(0, 40), // copied in part
      `${ANON_KEY.split(".")[0]}.bm90IGpzb24.c2ln`, // a payload that is not JSON
      fakeJwt({ role: "authenticated" }), // a user's access token
    ]) {
      expect(anonKeyProblem(malformed), malformed).toMatch(
        /^must be the project's anon key \(a JWT whose role is anon\) or its publishable key/,
      );
    }
  });

  it("a malformed SUPABASE_ANON_KEY stops start-up with one line naming it, no stack", () => {
    expect(() => loadConfig(env({ SUPABASE_URL: "https://abcd.supabase.co", SUPABASE_ANON_KEY: "placeholder" }))).toThrow(
      /^Invalid configuration: SUPABASE_ANON_KEY: must be the project's anon key \(a JWT whose role is anon\) or its publishable key \(sb_publishable_…\), from the project's API settings$/,
    );
    const start = (format: "json" | "pretty") => {
      const run = spawnSync(process.execPath, ["--import", "tsx", path.resolve("scripts/start.ts")], {
        env: {
          ...process.env,
          SUPABASE_URL: "https://abcd.supabase.co",
          SUPABASE_ANON_KEY: "not-a-key-but-long-enough",
          ROLLGATE_LOG_FORMAT: format,
          ROLLGATE_SKIP_BUILD: "1",
          DATABASE_URL: "",
        },
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(run.status).toBe(1);
      const lines = `${run.stdout}${run.stderr}`.trim().split("\n");
      expect(lines).toHaveLength(1);
      return lines[0]!;
    };
    const entry = JSON.parse(start("json")) as { level: string; msg: string; error?: unknown };
    expect(entry).toMatchObject({ level: "error" });
    expect(entry.msg).toMatch(/^Invalid configuration: SUPABASE_ANON_KEY: must be the project's anon key/);
    expect(entry.error).toBeUndefined();
    expect(start("pretty")).toMatch(/Invalid configuration: SUPABASE_ANON_KEY: must be the project's anon key .*API settings$/);
    // Two start-ups through tsx: a few seconds on an idle machine, many more beside the browser tests.
  }, 60_000);

  it("a bad Supabase variable stops start-up with a message naming it, alongside other bad values", () => {
    expect(() => loadConfig(env({ SUPABASE_URL: "https://abcd.supabase.co", PORT: "-1" }))).toThrow(
      /Invalid configuration:\n {2}PORT: .*\n {2}SUPABASE_URL: SUPABASE_URL and SUPABASE_ANON_KEY are set together/,
    );
    expect(loadConfig(env({ SUPABASE_URL: "https://abcd.supabase.co", SUPABASE_ANON_KEY: ANON_KEY })).supabase).toMatchObject({
      url: "https://abcd.supabase.co",
    });
    expect(loadConfig(env({})).supabase).toBeNull();
  });
});
