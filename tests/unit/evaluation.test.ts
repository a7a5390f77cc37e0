import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bucketOf } from "../../lib/domain/bucketing";
import { compileFlag, evaluate, type FlagRule } from "../../lib/domain/evaluation";

const rule = (over: Partial<FlagRule>): FlagRule => ({
  enabled: true,
  killed: false,
  rolloutPercent: 50,
  allowlist: [],
  version: 1,
  ...over,
});
const flag = (over: Partial<FlagRule>, key = "messaging-v2") => compileFlag(key, rule(over));

// Keys whose bucket for messaging-v2 is known, found by search rather than hard-coded guesses.
const keyWithBucket = (pred: (b: number) => boolean) => {
  for (let i = 0; ; i++) if (pred(bucketOf("messaging-v2", `user-${i}`))) return `user-${i}`;
};

describe("evaluate: precedence killed → disabled → allowlist → static → split", () => {
  it("killed is off even when enabled, allowlisted and at 100 %", () => {
    expect(evaluate(flag({ killed: true, rolloutPercent: 100, allowlist: ["qa"] }), "qa")).toEqual({
      value: false,
      variant: "off",
      reason: "DISABLED",
    });
  });
  it("disabled is off even for allowlisted users", () => {
    expect(evaluate(flag({ enabled: false, allowlist: ["qa"] }), "qa")).toMatchObject({ value: false, reason: "DISABLED" });
  });
  it("allowlisted users are on at 0 %", () => {
    expect(evaluate(flag({ rolloutPercent: 0, allowlist: ["qa"] }), "qa")).toEqual({
      value: true,
      variant: "on",
      reason: "TARGETING_MATCH",
    });
  });
  it("0 % and 100 % are static and need no targeting key", () => {
    expect(evaluate(flag({ rolloutPercent: 0 }), undefined)).toMatchObject({ value: false, reason: "STATIC" });
    expect(evaluate(flag({ rolloutPercent: 100 }), undefined)).toMatchObject({ value: true, reason: "STATIC" });
  });
  it("a split needs a targeting key", () => {
    expect(evaluate(flag({ rolloutPercent: 30 }), undefined)).toEqual({ error: "TARGETING_KEY_MISSING" });
    expect(evaluate(flag({ rolloutPercent: 30 }), "")).toEqual({ error: "TARGETING_KEY_MISSING" });
  });
  it("a split puts users with bucket <= percent on", () => {
    const low = keyWithBucket((b) => b <= 10);
    const high = keyWithBucket((b) => b > 10);
    expect(evaluate(flag({ rolloutPercent: 10 }), low)).toEqual({ value: true, variant: "on", reason: "SPLIT" });
    expect(evaluate(flag({ rolloutPercent: 10 }), high)).toEqual({ value: false, variant: "off", reason: "SPLIT" });
    const exact = keyWithBucket((b) => b === 37);
    expect(evaluate(flag({ rolloutPercent: 37 }), exact)).toMatchObject({ value: true });
    expect(evaluate(flag({ rolloutPercent: 36 }), exact)).toMatchObject({ value: false });
  });
  it("groupId defaults to the flag key; a shared groupId buckets flags together", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 1, max: 99 }), (key, p) => {
        const a = evaluate(compileFlag("flag-a", rule({ rolloutPercent: p, groupId: "g" })), key);
        const b = evaluate(compileFlag("flag-b", rule({ rolloutPercent: p, groupId: "g" })), key);
        const own = evaluate(compileFlag("flag-a", rule({ rolloutPercent: p })), key);
        const ownOn = "value" in own && own.value;
        return a === b && ownOn === bucketOf("flag-a", key) <= p;
      }),
    );
  });
  it("widening a rollout never turns a user off", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (key, p, q) => {
        const [lo, hi] = p <= q ? [p, q] : [q, p];
        const atLo = evaluate(flag({ rolloutPercent: lo }), key);
        const atHi = evaluate(flag({ rolloutPercent: hi }), key);
        return !("value" in atLo && atLo.value) || ("value" in atHi && atHi.value);
      }),
      { numRuns: 3000 },
    );
  });
});
