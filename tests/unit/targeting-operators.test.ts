import { describe, expect, it } from "vitest";
import type { Constraint, ConstraintOperator, TargetingContext } from "../../lib/domain/targeting/model";
import { compileConstraint } from "../../lib/domain/targeting/operators";
import { regexProblem } from "../../lib/domain/targeting/regex";

const NOW = Date.parse("2026-06-01T12:00:00Z");
const sources = { random: () => 0.5, now: () => NOW };
const check = (c: Constraint, context: TargetingContext) => compileConstraint(c)(context, sources);
const on = (field: string, operator: ConstraintOperator, more: Partial<Constraint> = {}): Constraint => ({
  contextName: field,
  operator,
  ...more,
});
const props = (p: Record<string, string>): TargetingContext => ({ properties: p });

describe("IN / NOT_IN", () => {
  it("compares exactly, case-sensitively, with values trimmed and empty ones dropped (Unleash's cleanValues)", () => {
    const c = on("tenant", "IN", { values: [" acme ", "", "Globex"] });
    expect(check(c, props({ tenant: "acme" }))).toBe(true);
    expect(check(c, props({ tenant: "ACME" }))).toBe(false);
    expect(check(c, props({ tenant: " acme " }))).toBe(false);
    expect(check(c, props({ tenant: "" }))).toBe(false);
  });

  it("a missing field is not IN anything and is NOT_IN everything", () => {
    expect(check(on("tenant", "IN", { values: ["a"] }), {})).toBe(false);
    expect(check(on("tenant", "NOT_IN", { values: ["a"] }), {})).toBe(true);
    expect(check(on("tenant", "NOT_IN", { values: ["a"] }), props({ tenant: "a" }))).toBe(false);
  });

  it("no values: IN never, NOT_IN always", () => {
    expect(check(on("environment", "IN", { values: [] }), { environment: "prod" })).toBe(false);
    expect(check(on("environment", "NOT_IN"), { environment: "prod" })).toBe(true);
  });

  it("standard fields read the context, then properties; other names read properties", () => {
    const c = on("userId", "IN", { values: ["u1"] });
    expect(check(c, { userId: "u1" })).toBe(true);
    expect(check(c, props({ userId: "u1" }))).toBe(true);
    expect(check(on("appName", "IN", { values: ["web"] }), { appName: "web" })).toBe(true);
    expect(check(on("plan", "IN", { values: ["pro"] }), { properties: { plan: "pro" } })).toBe(true);
  });
});

describe("STR_CONTAINS / STR_STARTS_WITH / STR_ENDS_WITH", () => {
  it.each([
    ["STR_STARTS_WITH", "admin-", "admin-7", true],
    ["STR_STARTS_WITH", "admin-", "user-admin-7", false],
    ["STR_ENDS_WITH", "@acme.com", "ana@acme.com", true],
    ["STR_ENDS_WITH", "@acme.com", "ana@acme.com.evil", false],
    ["STR_CONTAINS", "beta", "x-beta-y", true],
    ["STR_CONTAINS", "beta", "x-BETA-y", false],
  ] as const)("%s %s against %s is %s", (op, value, actual, expected) => {
    expect(check(on("email", op, { values: [value] }), props({ email: actual }))).toBe(expected);
  });

  it("any of the values; case-insensitive on request; a missing field never matches, inverted always", () => {
    const c = on("email", "STR_ENDS_WITH", { values: ["@acme.com", "@globex.com"], caseInsensitive: true });
    expect(check(c, props({ email: "ANA@GLOBEX.COM" }))).toBe(true);
    expect(check(c, {})).toBe(false);
    expect(check({ ...c, inverted: true }, {})).toBe(true);
  });
});

describe("NUM_*", () => {
  it.each([
    ["NUM_EQ", "12", "12.0", true],
    ["NUM_EQ", "12", "13", false],
    ["NUM_GT", "12", "12.5", true],
    ["NUM_GT", "12", "12", false],
    ["NUM_GTE", "12", "12", true],
    ["NUM_LT", "12", "-3", true],
    ["NUM_LT", "12", "12", false],
    ["NUM_LTE", "12", "12", true],
    ["NUM_LTE", "12", "1e3", false],
  ] as const)("%s %s against %s is %s", (op, value, actual, expected) => {
    expect(check(on("age", op, { value }), props({ age: actual }))).toBe(expected);
  });

  it("a missing field, text that is not a number, or a constraint value that is not one never match", () => {
    expect(check(on("age", "NUM_LT", { value: "12" }), {})).toBe(false);
    expect(check(on("age", "NUM_LT", { value: "12" }), props({ age: "young" }))).toBe(false);
    expect(check(on("age", "NUM_LT", { value: "twelve" }), props({ age: "3" }))).toBe(false);
    // As Number("") in Unleash: an empty value reads 0.
    expect(check(on("age", "NUM_EQ", { value: "0" }), props({ age: "" }))).toBe(true);
  });
});

describe("DATE_AFTER / DATE_BEFORE", () => {
  it("compare the context's currentTime, time zones included", () => {
    const after = on("currentTime", "DATE_AFTER", { value: "2022-01-22T13:00:00.000+02:00" });
    expect(check(after, { currentTime: "2022-01-22T11:00:01Z" })).toBe(true);
    expect(check(after, { currentTime: "2022-01-22T11:00:00Z" })).toBe(false);
    expect(check(on("currentTime", "DATE_BEFORE", { value: "2022-01-22T13:00:00Z" }), { currentTime: "2022-01-22T12:59:59Z" })).toBe(true);
  });

  it("without currentTime they compare the time the caller passes, whatever field the constraint names", () => {
    expect(check(on("currentTime", "DATE_AFTER", { value: "2026-05-31T00:00:00Z" }), {})).toBe(true);
    expect(check(on("somethingElse", "DATE_BEFORE", { value: "2026-05-31T00:00:00Z" }), {})).toBe(false);
  });

  it("a value that is not a date never matches", () => {
    expect(check(on("currentTime", "DATE_AFTER", { value: "soon" }), { currentTime: "2030-01-01T00:00:00Z" })).toBe(false);
  });
});

describe("SEMVER_*", () => {
  it.each([
    ["SEMVER_EQ", "1.2.2", "1.2.2", true],
    ["SEMVER_EQ", "1.2.2", "1.2.2+build.5", true],
    ["SEMVER_GT", "1.2.2", "1.10.0", true],
    ["SEMVER_GT", "2.0.0-alpha.1", "2.0.0-beta.1", true],
    ["SEMVER_GT", "2.0.0-alpha.1", "2.0.0", true],
    ["SEMVER_LT", "2.0.0-alpha.3", "2.0.0-alpha.1", true],
    ["SEMVER_LT", "2.0.0-alpha.10", "2.0.0-alpha.9", true],
    ["SEMVER_GT", "2.0.0-rc", "2.0.0-beta.1", false],
    ["SEMVER_GTE", "1.2.2", "1.2.2", true],
    ["SEMVER_LTE", "1.2.2", "1.2.3", false],
    ["SEMVER_GT", "2.0.0-alpha", "2.0.0-alpha.1", true],
    ["SEMVER_LT", "1.0.0-alpha", "1.0.0-1", true], // numeric identifiers sort first
  ] as const)("%s %s against %s is %s", (op, value, actual, expected) => {
    expect(check(on("version", op, { value }), props({ version: actual }))).toBe(expected);
  });

  it("refuses context versions Unleash refuses: a leading v, leading zeros, not a version", () => {
    for (const v of ["v2.0.0", "01.2.3", "1.2", "not a semver", ""])
      expect(check(on("version", "SEMVER_GTE", { value: "0.0.1" }), props({ version: v }))).toBe(false);
    // The constraint's own value may have the v.
    expect(check(on("version", "SEMVER_EQ", { value: "v2.0.0" }), props({ version: "2.0.0" }))).toBe(true);
    expect(check(on("version", "SEMVER_EQ", { value: "2.0" }), props({ version: "2.0.0" }))).toBe(false);
  });
});

describe("REGEX (RE2)", () => {
  it.each([
    ["^[^@]+@acme\\.com$", "ana@acme.com", true],
    ["^user\\d{3}$", "user12", false],
    ["^[[:alpha:]]+$", "Alpha1", false],
    ["^(?i)abc$", "AbC", true],
    ["(?m)^foo$", "x\nfoo\ny", true],
    ["^a.b$", "a\nb", false],
    ["^(?s)a.b$", "a\nb", true],
    ["cat", "concatenate", true],
    ["\\bcat\\b", "concatenate", false],
    ["^\\s$", "\u00a0", false], // RE2's \s is ASCII
    ["^(?=a)b$", "ab", false], // RE2 refuses lookaround: never matches
    ["^(a)\\1$", "aa", false], // and backreferences
    ["(unclosed", "(unclosed", false],
  ] as const)("%s against %j is %s", (value, actual, expected) => {
    expect(check(on("userId", "REGEX", { value }), { userId: actual })).toBe(expected);
  });

  it("what RE2 reads otherwise than JavaScript, or what could backtrack for ever, is named, and never matches", () => {
    expect(regexProblem("^(a+)+$")).toBe("regular expression '^(a+)+$': a repeated group that repeats or branches inside");
    expect(regexProblem("\\p{Greek}")).toBe("regular expression '\\p{Greek}': the escape \\p");
    expect(regexProblem("^(?i)abc$")).toBeNull();
    const started = Date.now();
    expect(check(on("userId", "REGEX", { value: "^(a+)+$" }), { userId: `${"a".repeat(40)}!` })).toBe(false);
    expect(Date.now() - started).toBeLessThan(100);
  });

  it("case-insensitive on request; a missing field never matches", () => {
    expect(check(on("userId", "REGEX", { value: "^abc$", caseInsensitive: true }), { userId: "ABC" })).toBe(true);
    expect(check(on("userId", "REGEX", { value: ".*" }), {})).toBe(false);
  });
});

describe("IN_CIDR", () => {
  it.each([
    [["10.0.0.0/8"], "10.200.3.4", true],
    [["10.0.0.0/8"], "11.0.0.1", false],
    [["127.0.0.1"], "127.0.0.1", true],
    [["127.invalid", "192.168.1.0/24"], "192.168.1.42", true],
    [["2001:db8::/32"], "2001:db8:0:1::42", true],
    [["2001:db8::/32"], "2001:db9::1", false],
    [["2001:db8::1"], "2001:0db8:0000::0001", true],
    [["::ffff:10.0.0.0/104"], "::ffff:10.1.2.3", true],
    [["10.0.0.0/8"], "::ffff:10.1.2.3", false], // families do not mix
    [["10.0.0.0/8"], "010.0.0.1", false], // leading zeros are not an address
    [["0.0.0.0/0"], "not an address", false],
  ] as const)("%j contains %s: %s", (values, address, expected) => {
    expect(check(on("remoteAddress", "IN_CIDR", { values: [...values] }), { remoteAddress: address })).toBe(expected);
  });
});

describe("inverted and unknown operators", () => {
  it("inverted negates the whole answer, a missing field included", () => {
    expect(check(on("tenant", "IN", { values: ["a"], inverted: true }), {})).toBe(true);
    expect(check(on("tenant", "NOT_IN", { values: ["a"], inverted: true }), props({ tenant: "a" }))).toBe(true);
    expect(check(on("age", "NUM_GT", { value: "3", inverted: true }), props({ age: "x" }))).toBe(true);
  });

  it("an operator Rollgate does not know never matches, inverted or not", () => {
    const c = { contextName: "x", operator: "GEO_NEAR" as ConstraintOperator, values: [] };
    expect(check(c, props({ x: "1" }))).toBe(false);
    expect(check({ ...c, inverted: true }, props({ x: "1" }))).toBe(false);
  });
});
