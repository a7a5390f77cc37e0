import { describe, expect, it } from "vitest";
import { applyPatch, compileSnapshot, diffSnapshot, snapshotEnv } from "../../lib/domain/config-snapshot";
import { bucketOf } from "../../lib/domain/bucketing";
import { compileFlag, evaluate, evaluateWithContext, type EvaluationEnv, type FlagRule } from "../../lib/domain/evaluation";
import type { Segment, Strategy, Targeting, TargetingContext, VariantDefinition } from "../../lib/domain/targeting/model";
import { targetingContextOf } from "../../lib/domain/targeting/context";
import { describeConstraint, describeStrategy } from "../../lib/domain/targeting/describe";
import { targetingProblems } from "../../lib/domain/targeting/validate";
import { distributeVariantWeights } from "../../lib/domain/targeting/variants";
import { toUnleashFeature } from "../../lib/domain/unleash-features";

const STAFF: Segment = { id: 3, name: "Staff", constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] }] };
const strategy = (over: Partial<Strategy> = {}): Strategy => ({
  rollout: 100,
  stickiness: "default",
  groupId: "g",
  constraints: [],
  segments: [],
  variants: [],
  ...over,
});
const targeting = (over: Partial<Targeting> = {}): Targeting => ({ strategies: [], variants: [], dependencies: [], ...over });
const rule = (over: Partial<FlagRule> = {}): FlagRule => ({
  enabled: true,
  killed: false,
  rolloutPercent: 0,
  allowlist: [],
  version: 1,
  ...over,
});
const env = (random = 0.5, flags: Record<string, FlagRule> = {}): EvaluationEnv => {
  const snapshot = compileSnapshot({ environment: "e", version: 1, flags, segments: { "3": STAFF } });
  return snapshotEnv(snapshot, { random: () => random, now: () => Date.parse("2026-06-01T00:00:00Z") });
};
const evalRule = (r: FlagRule, context: TargetingContext, e = env()) =>
  evaluateWithContext(compileFlag("f", r, { "3": STAFF }), context, e);
const staffEmail = { properties: { email: "ana@acme.com" } };
const blue: VariantDefinition = { name: "blue", weight: 1, payload: { type: "json", value: '{"color":"#00f"}' } };

describe("evaluateWithContext: the order of the rules", () => {
  const staffOnly = targeting({ strategies: [strategy({ segments: [3] })] });

  it("a strategy on a segment: on for its members (TARGETING_MATCH), off for others (DEFAULT)", () => {
    expect(evalRule(rule({ targeting: staffOnly }), { userId: "u", ...staffEmail })).toEqual({
      value: true,
      variant: "on",
      reason: "TARGETING_MATCH",
    });
    expect(evalRule(rule({ targeting: staffOnly }), { userId: "u" })).toEqual({ value: false, variant: "off", reason: "DEFAULT" });
  });

  it("killed or disabled is off before anything matches", () => {
    expect(evalRule(rule({ targeting: staffOnly, killed: true }), staffEmail)).toMatchObject({ value: false, reason: "DISABLED" });
    expect(evalRule(rule({ targeting: staffOnly, enabled: false }), staffEmail)).toMatchObject({ value: false, reason: "DISABLED" });
  });

  it("the allowlist is on whatever the strategies say", () => {
    expect(evalRule(rule({ targeting: staffOnly, allowlist: ["qa-1"] }), { userId: "qa-1" })).toMatchObject({
      value: true,
      reason: "TARGETING_MATCH",
    });
  });

  it("a strategy naming a segment the snapshot does not have never matches", () => {
    const r = rule({ targeting: targeting({ strategies: [strategy({ segments: [404] })] }) });
    expect(evalRule(r, { userId: "u", ...staffEmail })).toMatchObject({ value: false, reason: "DEFAULT" });
  });

  it("the staged rollout's percentage is one more strategy, last, bucketed by user id in the flag's group", () => {
    const r = rule({ targeting: staffOnly, rolloutPercent: 30 });
    const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    for (const userId of users) {
      const inBucket = bucketOf("f", userId) <= 30;
      expect(evalRule(r, { userId })).toMatchObject({ value: inBucket, reason: "SPLIT" });
      expect(evalRule(r, { userId, ...staffEmail })).toMatchObject({ value: true, reason: "TARGETING_MATCH" });
    }
    // No user id: the percentage cannot bucket (a staff member still matches their strategy).
    expect(evalRule(r, {})).toEqual({ error: "TARGETING_KEY_MISSING" });
    expect(evalRule(r, staffEmail)).toMatchObject({ value: true });
    expect(evalRule(rule({ targeting: staffOnly, rolloutPercent: 100 }), {})).toMatchObject({ value: true, reason: "STATIC" });
  });

  it("a flag without targeting answers exactly as the plain rollout (the same shared results)", () => {
    const plain = compileFlag("f", rule({ rolloutPercent: 40, allowlist: ["qa"] }));
    for (const userId of ["qa", "u1", "u2", "u3", undefined])
      expect(evaluateWithContext(plain, { userId }, env())).toBe(evaluate(plain, userId));
    expect(plain.targeting).toBeNull();
    expect(compileFlag("f", rule({ targeting: targeting() })).targeting).toBeNull();
  });
});

describe("stickiness and percentages", () => {
  it("default stickiness: the user id, else the session id, else the caller's random draw", () => {
    const r = rule({ targeting: targeting({ strategies: [strategy({ rollout: 50, groupId: "g" })] }) });
    expect(evalRule(r, { userId: "u-1", sessionId: "s" })).toMatchObject({ value: bucketOf("g", "u-1") <= 50, reason: "SPLIT" });
    expect(evalRule(r, { sessionId: "s-9" })).toMatchObject({ value: bucketOf("g", "s-9") <= 50 });
    expect(evalRule(r, {}, env(0.2))).toMatchObject({ value: true }); // bucket 21
    expect(evalRule(r, {}, env(0.7))).toMatchObject({ value: false }); // bucket 71
  });

  it("a custom field is required: without it the subject is outside, even at 100 %", () => {
    const r = rule({ targeting: targeting({ strategies: [strategy({ stickiness: "tenant" })] }) });
    expect(evalRule(r, { properties: { tenant: "t1" } })).toMatchObject({ value: true });
    expect(evalRule(r, { userId: "u" })).toMatchObject({ value: false, reason: "DEFAULT" });
  });

  it("random: a draw each time", () => {
    const r = rule({ targeting: targeting({ strategies: [strategy({ rollout: 10, stickiness: "random" })] }) });
    expect(evalRule(r, { userId: "u" }, env(0.05))).toMatchObject({ value: true });
    expect(evalRule(r, { userId: "u" }, env(0.5))).toMatchObject({ value: false });
  });
});

describe("variants", () => {
  const split = [blue, { name: "red", weight: 1, payload: { type: "number", value: "1.5" } }] as VariantDefinition[];

  it("a flag with variants answers a variant's name and typed payload, by weight (SPLIT)", () => {
    const r = rule({ rolloutPercent: 100, targeting: targeting({ variants: split }) });
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const e = evalRule(r, { userId: `u${i}` });
      expect(e).toMatchObject({ value: true, reason: "SPLIT" });
      if ("variant" in e) seen.add(`${e.variant}=${JSON.stringify(e.payload?.value)}`);
    }
    expect([...seen].sort()).toEqual(['blue={"color":"#00f"}', "red=1.5"]);
  });

  it("off is Unleash's 'disabled' variant; an override is a TARGETING_MATCH", () => {
    const withOverride = [{ ...blue, overrides: [{ contextName: "userId", values: ["vip"] }] }, split[1]!];
    expect(evalRule(rule({ enabled: false, targeting: targeting({ variants: split }) }), { userId: "u" })).toEqual({
      value: false,
      variant: "disabled",
      reason: "DISABLED",
    });
    expect(evalRule(rule({ rolloutPercent: 100, targeting: targeting({ variants: withOverride }) }), { userId: "vip" })).toMatchObject({
      variant: "blue",
      reason: "TARGETING_MATCH",
    });
  });

  it("the first matching strategy's variants win over the flag's; without any, the flag's", () => {
    const r = rule({
      targeting: targeting({
        strategies: [
          strategy({ segments: [3], variants: [{ name: "staff-only", weight: 1 }] }),
          strategy({ constraints: [{ contextName: "tenant", operator: "IN", values: ["t"] }] }),
        ],
        variants: [{ name: "general", weight: 1 }],
      }),
    });
    expect(evalRule(r, { userId: "u", ...staffEmail, properties: { ...staffEmail.properties, tenant: "t" } })).toMatchObject({
      variant: "staff-only",
    });
    expect(evalRule(r, { userId: "u", properties: { tenant: "t" } })).toMatchObject({ variant: "general" });
  });

  it("payloads: JSON that does not parse stays text; csv is text", () => {
    const r = (payload: VariantDefinition["payload"]) =>
      rule({ rolloutPercent: 100, targeting: targeting({ variants: [{ name: "v", weight: 1, payload }] }) });
    expect(evalRule(r({ type: "json", value: "{oops" }), { userId: "u" })).toMatchObject({
      payload: { type: "json", raw: "{oops", value: "{oops" },
    });
    expect(evalRule(r({ type: "csv", value: "a,b" }), { userId: "u" })).toMatchObject({ payload: { type: "csv", value: "a,b" } });
  });

  it("editors normalise weights to 1000 as Unleash does: fixed ones kept, the rest shared", () => {
    const out = distributeVariantWeights([
      { name: "a", weight: 0 },
      { name: "b", weight: 200, weightType: "fix" },
      { name: "c", weight: 0, weightType: "variable" },
      { name: "d", weight: 5 },
    ]);
    expect(out.map((v) => v.weight)).toEqual([267, 200, 267, 266]);
  });
});

describe("dependencies", () => {
  const parentRule = rule({ rolloutPercent: 100, targeting: targeting({ variants: [blue] }) });
  const child = (d: Targeting["dependencies"][number]) => rule({ rolloutPercent: 100, targeting: targeting({ dependencies: [d] }) });

  it("the parent on (and in one of the variants named), off, or missing", () => {
    const e = env(0.5, { parent: parentRule, off: rule({ enabled: false }) });
    expect(evalRule(child({ feature: "parent" }), { userId: "u" }, e)).toMatchObject({ value: true });
    expect(evalRule(child({ feature: "parent", variants: ["blue"] }), { userId: "u" }, e)).toMatchObject({ value: true });
    expect(evalRule(child({ feature: "parent", variants: ["red"] }), { userId: "u" }, e)).toMatchObject({
      value: false,
      reason: "DEFAULT",
    });
    expect(evalRule(child({ feature: "off" }), { userId: "u" }, e)).toMatchObject({ value: false });
    expect(evalRule(child({ feature: "off", enabled: false }), { userId: "u" }, e)).toMatchObject({ value: true });
    expect(evalRule(child({ feature: "nowhere" }), { userId: "u" }, e)).toMatchObject({ value: false });
    // A parent without variants serves Unleash's "disabled" variant.
    expect(
      evalRule(child({ feature: "plain", variants: ["disabled"] }), { userId: "u" }, env(0.5, { plain: rule({ rolloutPercent: 100 }) })),
    ).toMatchObject({ value: true });
  });

  it("one level only: a parent with parents of its own never satisfies", () => {
    const e = env(0.5, { root: rule({ rolloutPercent: 100 }), middle: child({ feature: "root" }) });
    expect(evalRule(child({ feature: "middle" }), { userId: "u" }, e)).toMatchObject({ value: false });
  });

  it("evaluate(flag, key) answers a targeted flag in on/off terms, with no other flags to depend on", () => {
    const f = compileFlag(
      "f",
      rule({
        targeting: targeting({ strategies: [strategy({ constraints: [{ contextName: "userId", operator: "IN", values: ["a"] }] })] }),
      }),
    );
    expect(evaluate(f, "a")).toEqual({ value: true, variant: "on", reason: "TARGETING_MATCH" });
    expect(evaluate(f, "b")).toEqual({ value: false, variant: "off", reason: "TARGETING_MATCH" });
    expect(evaluate(compileFlag("c", child({ feature: "parent" })), "a")).toMatchObject({ value: false });
  });
});

describe("snapshots carry segments", () => {
  const flags = { f: rule({ targeting: targeting({ strategies: [strategy({ segments: [3] })] }) }), g: rule({ rolloutPercent: 100 }) };
  const base = compileSnapshot({ environment: "e", version: 1, flags, segments: { "3": STAFF } });

  it("a patch that changes a segment recompiles the flags using it, and only those", () => {
    const widened: Segment = {
      ...STAFF,
      constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com", "@acme.io"] }],
    };
    const next = applyPatch(base, { environment: "e", from: 1, version: 2, flags: {}, removed: [], segments: { "3": widened } });
    const e = snapshotEnv(next, { random: Math.random, now: Date.now });
    expect(evaluateWithContext(next.flags.get("f")!, { userId: "u", properties: { email: "b@acme.io" } }, e)).toMatchObject({
      value: true,
    });
    expect(next.flags.get("g")).toBe(base.flags.get("g"));
    expect(JSON.parse(next.json).segments).toEqual({ "3": widened });
  });

  it("a diff names the segments that changed, and the flags that use them (for stream readers that do not recompile)", () => {
    const patch = diffSnapshot(base, { environment: "e", version: 2, flags, segments: { "3": { ...STAFF, name: "Staff (all)" } } });
    expect(patch).toEqual({
      environment: "e",
      from: 1,
      version: 2,
      flags: { f: flags.f },
      removed: [],
      segments: { "3": { ...STAFF, name: "Staff (all)" } },
    });
    expect(diffSnapshot(base, { environment: "e", version: 2, flags, segments: { "3": STAFF } }).segments).toBeUndefined();
  });
});

describe("the Unleash client API shape of a targeted flag", () => {
  it("allowlist, strategies as flexibleRollout with segments inlined, the percentage last, variants, dependencies", () => {
    const r = rule({
      allowlist: ["qa"],
      rolloutPercent: 10,
      targeting: targeting({
        strategies: [strategy({ rollout: 50, stickiness: "sessionId", segments: [3, 9], variants: [blue] })],
        variants: [{ name: "red", weight: 1 }],
        dependencies: [{ feature: "parent", enabled: false }],
      }),
    });
    expect(toUnleashFeature(compileFlag("f", r, { "3": STAFF }), { "3": STAFF })).toEqual({
      name: "f",
      enabled: true,
      type: "release",
      project: "default",
      stale: false,
      impressionData: false,
      strategies: [
        { name: "userWithId", parameters: { userIds: "qa" }, constraints: [] },
        {
          name: "flexibleRollout",
          parameters: { rollout: "50", stickiness: "sessionId", groupId: "g" },
          constraints: [
            { contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] },
            { contextName: "rollgate.missingSegment", operator: "IN", values: [] },
          ],
          variants: [blue],
        },
        { name: "flexibleRollout", parameters: { rollout: "10", stickiness: "userId", groupId: "f" }, constraints: [] },
      ],
      variants: [{ name: "red", weight: 1 }],
      dependencies: [{ feature: "parent", enabled: false }],
    });
  });
});

describe("targetingProblems: what an editor says", () => {
  it("names each field that would not behave as it reads", () => {
    const t = targeting({
      strategies: [
        strategy({
          rollout: 101,
          segments: [8],
          constraints: [
            { contextName: "age", operator: "NUM_GT", value: "old" },
            { contextName: "version", operator: "SEMVER_GTE", value: "v2" },
            { contextName: "email", operator: "REGEX", value: "\\p{Greek}" },
            { contextName: "ip", operator: "IN_CIDR", values: ["10.0.0.0/33"] },
          ],
        }),
      ],
      variants: [
        { name: "a", weight: 0 },
        { name: "a", weight: 0, payload: { type: "json", value: "{" } },
      ],
      dependencies: [{ feature: "f" }],
    });
    expect(targetingProblems(t, { flagKey: "f", segments: {} }).map((p) => p.path)).toEqual([
      "strategies.0.rollout",
      "strategies.0.constraints.0.value",
      "strategies.0.constraints.1.value",
      "strategies.0.constraints.2.value",
      "strategies.0.constraints.3.values",
      "strategies.0.segments.0",
      "variants.1.name",
      "variants.1.payload.value",
      "variants",
      "dependencies.0.feature",
    ]);
    expect(targetingProblems(targeting({ strategies: [strategy({ segments: [3] })] }), { segments: { "3": STAFF } })).toEqual([]);
  });
});

describe("targetingContextOf: an OFREP context as a targeting context", () => {
  it("targetingKey is the user id; the standard attributes are themselves; the rest are properties, as text", () => {
    expect(
      targetingContextOf({
        targetingKey: "u-1",
        userId: "ignored",
        sessionId: "s",
        remoteAddress: "10.0.0.1",
        currentTime: "2026-01-01T00:00:00Z",
        email: "a@acme.com",
        age: 42,
        beta: true,
        nested: { a: 1 },
        list: [1],
        none: null,
      }),
    ).toEqual({
      userId: "u-1",
      sessionId: "s",
      remoteAddress: "10.0.0.1",
      currentTime: "2026-01-01T00:00:00Z",
      properties: { email: "a@acme.com", age: "42", beta: "true" },
    });
    expect(targetingContextOf({ userId: "u-2" })).toEqual({ userId: "u-2" });
    expect(targetingContextOf({})).toEqual({});
  });

  it("a Date (an OpenFeature context may hold one) reads as the ISO 8601 it becomes over OFREP; an invalid one is left out", () => {
    const at = new Date("2026-03-01T12:00:00Z");
    expect(targetingContextOf({ targetingKey: "u", currentTime: at, signedUp: at })).toEqual(
      targetingContextOf(JSON.parse(JSON.stringify({ targetingKey: "u", currentTime: at, signedUp: at }))),
    );
    expect(targetingContextOf({ currentTime: at })).toEqual({ currentTime: "2026-03-01T12:00:00.000Z" });
    expect(targetingContextOf({ currentTime: new Date(Number.NaN) })).toEqual({});
  });
});

describe("targeting in words", () => {
  it("says a strategy's audience as the approval form shows it", () => {
    expect(describeStrategy(strategy({ segments: [3] }), { "3": STAFF })).toBe("Staff (email ends with @acme.com)");
    expect(
      describeStrategy(
        strategy({
          rollout: 10,
          stickiness: "userId",
          constraints: [{ contextName: "tenant", operator: "IN", values: ["a", "b", "c", "d", "e"] }],
        }),
      ),
    ).toBe("10 % of tenant is one of a, b, c or 2 more, by user id");
    expect(describeStrategy(strategy({ segments: [9] }))).toBe("segment 9 (missing: matches no one)");
    expect(describeConstraint({ contextName: "version", operator: "SEMVER_GTE", value: "2.3.0", inverted: true })).toBe(
      "not (version is at least version 2.3.0)",
    );
    expect(describeConstraint({ contextName: "email", operator: "STR_ENDS_WITH", values: ["@a.com"], caseInsensitive: true })).toBe(
      "email ends with @a.com (any case)",
    );
  });
});
