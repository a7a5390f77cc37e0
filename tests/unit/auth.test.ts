import { describe, expect, it } from "vitest";
import { parseBootstrapTokens } from "../../lib/auth/bootstrap-tokens";
import { credentialsFrom, sdkTokenFrom } from "../../lib/auth/identity";
import { hashPassword, unmatchableHash, verifyPassword } from "../../lib/auth/password";
import { hashSecret, newSecret } from "../../lib/auth/secrets";

describe("parseBootstrapTokens", () => {
  it("parses user tokens with several roles and SDK tokens", () => {
    expect(parseBootstrapTokens("ci-bot:engineer:abc123, pat:product_owner+viewer:def456 ,sdk:production:xyz789")).toEqual([
      { kind: "user", name: "ci-bot", roles: ["engineer"], token: "abc123" },
      { kind: "user", name: "pat", roles: ["product_owner", "viewer"], token: "def456" },
      { kind: "sdk", environment: "production", token: "xyz789" },
    ]);
  });

  it("treats an empty spec as no tokens", () => {
    expect(parseBootstrapTokens("")).toEqual([]);
    expect(parseBootstrapTokens(" , ")).toEqual([]);
  });

  it.each([
    ["ci-bot:engineer", /is not NAME:ROLES:TOKEN/],
    ["ci-bot:wizard:abc123", /unknown role 'wizard'/],
    ["ci-bot:engineer:abc", /shorter than 6/],
    ["a:b:c:d", /is not NAME:ROLES:TOKEN/],
  ])("rejects %s", (spec, message) => {
    expect(() => parseBootstrapTokens(spec)).toThrow(message);
  });
});

describe("passwords", () => {
  it("verifies the right password and rejects others", async () => {
    const stored = await hashPassword("correct horse");
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword("correct horse", stored)).toBe(true);
    expect(await verifyPassword("correct horse ", stored)).toBe(false);
    expect(await verifyPassword("correct horse", "garbage")).toBe(false);
  });

  it("salts: the same password hashes differently each time", async () => {
    expect(await hashPassword("same")).not.toEqual(await hashPassword("same"));
  });

  it("ROLLGATE_UNSAFE_FAST_PASSWORD_HASH=1 (test suites): new hashes at N=2^10; each hash keeps its own cost", async () => {
    const strong = await hashPassword("correct horse");
    const before = process.env.ROLLGATE_UNSAFE_FAST_PASSWORD_HASH;
    process.env.ROLLGATE_UNSAFE_FAST_PASSWORD_HASH = "1";
    try {
      const fast = await hashPassword("correct horse");
      expect(fast).toMatch(/^scrypt\$1024\$8\$1\$/);
      expect(await verifyPassword("correct horse", fast)).toBe(true);
      expect(await verifyPassword("correct horsE", fast)).toBe(false);
      // A hash made before keeps its parameters: checked at 2^15 whatever the setting.
      expect(await verifyPassword("correct horse", strong)).toBe(true);
      expect(unmatchableHash()).toMatch(/^scrypt\$1024\$8\$1\$/);
    } finally {
      if (before === undefined) delete process.env.ROLLGATE_UNSAFE_FAST_PASSWORD_HASH;
      else process.env.ROLLGATE_UNSAFE_FAST_PASSWORD_HASH = before;
    }
  });

  it("the hash a sign-in checks when there is no real one costs what a new hash does and matches nothing", async () => {
    expect(unmatchableHash()).toMatch(/^scrypt\$32768\$8\$1\$/);
    for (const guess of ["", "password", "\u0000".repeat(8)]) expect(await verifyPassword(guess, unmatchableHash())).toBe(false);
  });
});

describe("secrets", () => {
  it("are random, prefixed, and hashed deterministically", () => {
    const a = newSecret("rgs");
    expect(a).toMatch(/^rgs_[A-Za-z0-9_-]{43}$/);
    expect(newSecret("rgs")).not.toEqual(a);
    expect(hashSecret(a)).toEqual(hashSecret(a));
    expect(hashSecret(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("credentialsFrom", () => {
  it("reads bearer tokens, X-API-Key (apart: only the data plane takes it) and the session cookie", () => {
    expect(credentialsFrom(new Headers({ authorization: "Bearer abc" }))).toEqual({ token: "abc", apiKey: undefined, session: undefined });
    expect(credentialsFrom(new Headers({ "x-api-key": " k1 " }))).toEqual({ token: undefined, apiKey: "k1", session: undefined });
    expect(sdkTokenFrom(new Headers({ "x-api-key": "k1" }))).toBe("k1");
    expect(sdkTokenFrom(new Headers({ "x-api-key": "k1", authorization: "Bearer b1" }))).toBe("b1");
    expect(credentialsFrom(new Headers({ cookie: "a=1; rollgate_session=s%2B1; b=2" })).session).toBe("s+1");
    expect(credentialsFrom(new Headers({ authorization: "Basic xyz" })).token).toBeUndefined();
    expect(credentialsFrom(new Headers({ cookie: "rollgate_session=%E0%A4%A" })).session).toBeUndefined();
  });
});

describe("lockDurationMs", () => {
  it("allows 4 failures, then doubles from 30 s up to 15 minutes", async () => {
    const { lockDurationMs } = await import("../../lib/auth/sessions");
    expect([0, 4, 5, 6, 7, 10, 30].map(lockDurationMs)).toEqual([0, 0, 30_000, 60_000, 120_000, 900_000, 900_000]);
  });
});

describe("renewedExpiry (sliding sessions)", () => {
  const H = 3600_000;
  it("leaves a fresh session alone and slides one past half its idle window, never beyond 7 days", async () => {
    const { renewedExpiry, SESSION_TTL_MS, SESSION_MAX_MS } = await import("../../lib/auth/sessions");
    const created = new Date(0);
    expect(renewedExpiry({ createdAt: created, expiresAt: new Date(12 * H) }, new Date(1 * H))).toBeNull();
    expect(renewedExpiry({ createdAt: created, expiresAt: new Date(12 * H) }, new Date(7 * H))).toEqual(new Date(7 * H + SESSION_TTL_MS));
    const nearMax = new Date(SESSION_MAX_MS - 2 * H);
    expect(renewedExpiry({ createdAt: created, expiresAt: new Date(SESSION_MAX_MS - H) }, nearMax)).toEqual(new Date(SESSION_MAX_MS));
    expect(renewedExpiry({ createdAt: created, expiresAt: new Date(SESSION_MAX_MS) }, nearMax)).toBeNull();
  });
});
