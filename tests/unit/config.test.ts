import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config";
import { DEFAULT_INTERACTIVE_LIMITS, interactiveLimits } from "../../lib/db/bounded-pool";

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

describe("a variable set to the empty string", () => {
  it("counts as unset: each takes its default instead of 0, an empty string or a refusal", () => {
    const empty = env({
      PORT: "",
      HOST: "",
      ROLLGATE_DATA_DIR: "",
      ROLLGATE_SDK_RATE_LIMIT: "",
      ROLLGATE_STREAM_HISTORY: "",
      ROLLGATE_DEMO: "",
      ROLLGATE_LOG_FORMAT: "",
      ROLLGATE_METRICS_TOKEN: "",
      ROLLGATE_PG_PORT: "",
      DATABASE_URL: "",
      DATABASE_MIGRATION_URL: "",
    });
    const config = loadConfig(empty);
    const defaults = loadConfig(env({}));
    expect(config).toEqual(defaults);
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: "0.0.0.0",
      ROLLGATE_SDK_RATE_LIMIT: 50_000,
      ROLLGATE_STREAM_HISTORY: 256,
      ROLLGATE_DEMO: "auto",
    });
    expect(config.ROLLGATE_METRICS_TOKEN).toBeUndefined();
    expect(config.DATABASE_URL).toBeUndefined();
  });
});

describe("DATABASE_MIGRATION_URL and ROLLGATE_TRUST_PROXY", () => {
  it("the migration URL comes with DATABASE_URL; trusting the proxy is 0 unless set to 1", () => {
    expect(() => loadConfig(env({ DATABASE_MIGRATION_URL: "postgres://owner:p@db:5432/postgres" }))).toThrow(
      /DATABASE_MIGRATION_URL: needs DATABASE_URL/,
    );
    expect(
      loadConfig(
        env({ DATABASE_URL: "postgres://rollgate_app:p@db:5432/postgres", DATABASE_MIGRATION_URL: "postgres://owner:p@db:5432/postgres" }),
      ),
    ).toMatchObject({ DATABASE_MIGRATION_URL: "postgres://owner:p@db:5432/postgres", ROLLGATE_TRUST_PROXY: "0" });
    expect(() => loadConfig(env({ ROLLGATE_TRUST_PROXY: "yes" }))).toThrow(/ROLLGATE_TRUST_PROXY: must be 0 or 1/);
  });
});

describe("ROLLGATE_WEBHOOK_PRIVATE_NETWORKS", () => {
  it("denies private and local webhook targets unless set to allow", () => {
    expect(loadConfig(env({})).ROLLGATE_WEBHOOK_PRIVATE_NETWORKS).toBe("deny");
    expect(loadConfig(env({ ROLLGATE_WEBHOOK_PRIVATE_NETWORKS: "allow" })).ROLLGATE_WEBHOOK_PRIVATE_NETWORKS).toBe("allow");
    expect(() => loadConfig(env({ ROLLGATE_WEBHOOK_PRIVATE_NETWORKS: "yes" }))).toThrow(
      /ROLLGATE_WEBHOOK_PRIVATE_NETWORKS: must be deny or allow/,
    );
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

describe("ROLLGATE_PG_UNSAFE_NO_FSYNC", () => {
  it("is off unless set to exactly 1: durability is the default", () => {
    expect(loadConfig(env({})).ROLLGATE_PG_UNSAFE_NO_FSYNC).toBe("0");
    expect(loadConfig(env({ ROLLGATE_PG_UNSAFE_NO_FSYNC: "1" })).ROLLGATE_PG_UNSAFE_NO_FSYNC).toBe("1");
    expect(() => loadConfig(env({ ROLLGATE_PG_UNSAFE_NO_FSYNC: "yes" }))).toThrow(/ROLLGATE_PG_UNSAFE_NO_FSYNC: must be 0 or 1/);
  });
});

describe("ROLLGATE_UNSAFE_FAST_PASSWORD_HASH", () => {
  it("is off unless set to exactly 1: full-cost password hashes are the default", () => {
    expect(loadConfig(env({})).ROLLGATE_UNSAFE_FAST_PASSWORD_HASH).toBe("0");
    expect(loadConfig(env({ ROLLGATE_UNSAFE_FAST_PASSWORD_HASH: "1" })).ROLLGATE_UNSAFE_FAST_PASSWORD_HASH).toBe("1");
    expect(() => loadConfig(env({ ROLLGATE_UNSAFE_FAST_PASSWORD_HASH: "yes" }))).toThrow(
      /ROLLGATE_UNSAFE_FAST_PASSWORD_HASH: must be 0 or 1/,
    );
  });
});

describe("ROLLGATE_DB_CONNECT_TIMEOUT_MS and ROLLGATE_DB_STATEMENT_TIMEOUT_MS", () => {
  it("default to the documented bounds, are taken when in range, and refused with the variable named otherwise", () => {
    expect(interactiveLimits(env({}))).toEqual(DEFAULT_INTERACTIVE_LIMITS);
    expect(DEFAULT_INTERACTIVE_LIMITS).toMatchObject({ connectMs: 2000, statementMs: 2500 });
    const patient = env({ ROLLGATE_DB_CONNECT_TIMEOUT_MS: "10000", ROLLGATE_DB_STATEMENT_TIMEOUT_MS: "12000" });
    expect(interactiveLimits(patient)).toMatchObject({ connectMs: 10_000, statementMs: 12_000 });
    expect(loadConfig(patient)).toMatchObject({ ROLLGATE_DB_CONNECT_TIMEOUT_MS: 10_000, ROLLGATE_DB_STATEMENT_TIMEOUT_MS: 12_000 });
    expect(() => loadConfig(env({ ROLLGATE_DB_CONNECT_TIMEOUT_MS: "50" }))).toThrow(/ROLLGATE_DB_CONNECT_TIMEOUT_MS: at least 100/);
    expect(() => loadConfig(env({ ROLLGATE_DB_STATEMENT_TIMEOUT_MS: "2.5" }))).toThrow(/ROLLGATE_DB_STATEMENT_TIMEOUT_MS: must be whole/);
    // What start-up refuses never reaches the pools: they keep the defaults.
    expect(interactiveLimits(env({ ROLLGATE_DB_CONNECT_TIMEOUT_MS: "50", ROLLGATE_DB_STATEMENT_TIMEOUT_MS: "soon" }))).toEqual(
      DEFAULT_INTERACTIVE_LIMITS,
    );
  });
});

describe("ROLLGATE_DB_IDLE_TIMEOUT_MS", () => {
  it("keeps an unused pooled connection 5 min by default (node-postgres's own is 10 s), takes 1 s to 1 h, and names itself when refused", () => {
    expect(DEFAULT_INTERACTIVE_LIMITS.idleMs).toBe(300_000);
    expect(loadConfig(env({})).ROLLGATE_DB_IDLE_TIMEOUT_MS).toBe(300_000);
    expect(interactiveLimits(env({ ROLLGATE_DB_IDLE_TIMEOUT_MS: "15000" })).idleMs).toBe(15_000);
    expect(loadConfig(env({ ROLLGATE_DB_IDLE_TIMEOUT_MS: "3600000" })).ROLLGATE_DB_IDLE_TIMEOUT_MS).toBe(3_600_000);
    expect(() => loadConfig(env({ ROLLGATE_DB_IDLE_TIMEOUT_MS: "999" }))).toThrow(/ROLLGATE_DB_IDLE_TIMEOUT_MS: at least 1000/);
    expect(() => loadConfig(env({ ROLLGATE_DB_IDLE_TIMEOUT_MS: "3600001" }))).toThrow(/ROLLGATE_DB_IDLE_TIMEOUT_MS: at most 3600000/);
    expect(() => loadConfig(env({ ROLLGATE_DB_IDLE_TIMEOUT_MS: "5 min" }))).toThrow(/ROLLGATE_DB_IDLE_TIMEOUT_MS/);
    expect(interactiveLimits(env({ ROLLGATE_DB_IDLE_TIMEOUT_MS: "999" })).idleMs).toBe(300_000);
  });
});
