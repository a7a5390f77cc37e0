import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config";

const env = (vars: Record<string, string>) => vars as NodeJS.ProcessEnv;

describe("configuration", () => {
  it("DATABASE_POOLED_URL comes with DATABASE_URL, which keeps migrations and LISTEN", () => {
    expect(() => loadConfig(env({ DATABASE_POOLED_URL: "postgres://u:p@pooler:6543/postgres" }))).toThrow(
      /DATABASE_POOLED_URL: needs DATABASE_URL/,
    );
    expect(() => loadConfig(env({ DATABASE_URL: "postgres://u:p@db:5432/postgres", DATABASE_POOLED_URL: "pooler" }))).toThrow(
      /DATABASE_POOLED_URL: must be a postgres:\/\/ URL/,
    );
    expect(
      loadConfig(env({ DATABASE_URL: "postgres://u:p@db:5432/postgres", DATABASE_POOLED_URL: "postgres://u:p@pooler:6543/postgres" })),
    ).toMatchObject({ DATABASE_POOLED_URL: "postgres://u:p@pooler:6543/postgres" });
  });
});

describe("ROLLGATE_AUTO_ADVANCE_INTERVAL_MS", () => {
  it("defaults to 15 s and refuses what is not a sensible interval, naming the variable", () => {
    expect(loadConfig(env({})).ROLLGATE_AUTO_ADVANCE_INTERVAL_MS).toBe(15_000);
    expect(loadConfig(env({ ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: "250" })).ROLLGATE_AUTO_ADVANCE_INTERVAL_MS).toBe(250);
    for (const [value, message] of [
      ["soon", /ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: .*number/],
      ["1.5", /ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: must be a whole number/],
      ["0", /ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: at least 100 ms/],
      ["-5", /ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: at least 100 ms/],
      ["86400000", /ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: at most/],
    ] as const) {
      expect(() => loadConfig(env({ ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: value }))).toThrow(message);
    }
  });
});
