// Rollgate's constraint operators against unleash-client's own, on generated constraints and
// contexts: same answer every time (a REGEX pattern Rollgate names as unsupported is left out: the
// import names it and the editor refuses it).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Strategy } from "unleash-client/lib/strategy/strategy";
import { CONSTRAINT_OPERATORS, type Constraint, type ConstraintOperator } from "../../lib/domain/targeting/model";
import { compileConstraint } from "../../lib/domain/targeting/operators";
import { translateRe2 } from "../../lib/domain/targeting/regex";

const TEXT = [
  "",
  " ",
  "a",
  " a ",
  "A",
  "abc",
  "ABC",
  "acme.com",
  "ana@acme.com",
  "ANA@ACME.COM",
  "12",
  "12.0",
  "-1",
  "1e3",
  "0x10",
  "3.14",
];
const VERSIONS = [
  "1.2.3",
  "v1.2.3",
  " 1.2.3",
  "1.2.3 ",
  "01.2.3",
  "1.2",
  "1.2.3-alpha",
  "1.2.3-alpha.1",
  "1.2.3-alpha.10",
  "1.2.3-1",
  "1.2.3-0a",
  "1.2.3+b.1",
  "1.2.4-rc.1+x",
  "2.0.0",
  "1.2.3-01",
];
const ADDRESSES = [
  "127.0.0.1",
  "10.1.2.3",
  "10.0.0.0/8",
  "10.0.0.0/16",
  "10.1.0.0/16",
  "192.168.0.256",
  "010.0.0.1",
  "::1",
  "::",
  "2001:db8::1",
  "2001:db8::/32",
  "2001:db8:0:1::42",
  "::ffff:10.1.2.3",
  "::ffff:10.0.0.0/104",
  "fe80::1%eth0",
  "bad::cidr",
  "1:2:3:4:5:6:7:8",
  "1::2::3",
  "10.0.0.1/33",
];
const DATES = [
  "2022-01-22T13:00:00.000Z",
  "2022-01-22T13:00:00.000+02:00",
  "2022-01-22",
  "not a date",
  "2030-12-31T23:59:59Z",
  "1970-01-01T00:00:00Z",
];
const PATTERNS = [
  "^abc$",
  "abc",
  "^a.c$",
  "(?i)^abc$",
  "^(?i)abc",
  "[[:digit:]]+",
  "\\d{2,3}",
  "^(foo|fo)$",
  "a{1001}",
  "(a",
  "^(?=a)",
  "(a)\\1",
  "^\\w+@\\w+\\.com$",
  "\\bacme\\b",
  "(?s)a.c",
  "[^a]",
  "a**",
  "\\Qa\\E",
  "x{2}y?",
  "^$",
  "[a-c]+",
  "\\.",
  "(?m)^a$",
  "[]a]",
];
const POOL = [...TEXT, ...VERSIONS, ...ADDRESSES, ...DATES, ...PATTERNS];

const value = fc.constantFrom(...POOL);
const constraint = fc.record({
  contextName: fc.constant("f"),
  operator: fc.constantFrom(...CONSTRAINT_OPERATORS),
  values: fc.array(value, { maxLength: 3 }),
  value,
  inverted: fc.boolean(),
  caseInsensitive: fc.boolean(),
});
const context = fc.record(
  { f: value, currentTime: fc.constantFrom(...DATES), remoteAddress: fc.constantFrom(...ADDRESSES) },
  { requiredKeys: ["currentTime"] },
);

const unleash = new Strategy("probe");

describe("constraint operators agree with unleash-client's", () => {
  it("on 20,000 generated constraints and contexts", () => {
    fc.assert(
      fc.property(constraint, context, (c, ctx) => {
        if (c.operator === "REGEX" && "unsupported" in translateRe2(c.value, c.caseInsensitive)) return;
        const constraintIn: Constraint = { ...c, operator: c.operator as ConstraintOperator };
        const unleashContext = {
          currentTime: ctx.currentTime,
          remoteAddress: ctx.remoteAddress,
          properties: (ctx.f === undefined ? {} : { f: ctx.f }) as Record<string, string>,
        };
        const ours = compileConstraint(constraintIn)(unleashContext, { random: Math.random, now: () => 0 });
        const theirs = unleash.checkConstraint(c as never, unleashContext as never);
        expect(ours, JSON.stringify({ c, ctx })).toBe(theirs);
      }),
      { numRuns: 20_000, seed: 25 },
    );
  }, 60_000);

  it("IN_CIDR on the remote address, for every pair of address and range", () => {
    for (const range of ADDRESSES)
      for (const address of ADDRESSES) {
        const c = { contextName: "remoteAddress", operator: "IN_CIDR" as const, values: [range] };
        const ctx = { remoteAddress: address };
        expect(compileConstraint(c)(ctx, { random: Math.random, now: Date.now }), `${address} in ${range}`).toBe(
          unleash.checkConstraint(c as never, ctx as never),
        );
      }
  });

  it("SEMVER_* for every pair of versions", () => {
    for (const op of ["SEMVER_EQ", "SEMVER_GT", "SEMVER_GTE", "SEMVER_LT", "SEMVER_LTE"] as const)
      for (const v of VERSIONS)
        for (const actual of VERSIONS) {
          const c = { contextName: "version", operator: op, value: v };
          const ctx = { properties: { version: actual } };
          expect(compileConstraint(c)(ctx, { random: Math.random, now: Date.now }), `${actual} ${op} ${v}`).toBe(
            unleash.checkConstraint(c as never, ctx as never),
          );
        }
  });
});
