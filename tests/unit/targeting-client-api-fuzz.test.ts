// Rollgate-authored targeting (allowlists, staged percentages, strategies, segments, variants,
// dependencies, kills), sent over the Unleash client API: the real unleash-client answers every
// generated subject as Rollgate's evaluator does.
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import UnleashClient from "unleash-client/lib/client";
import { defaultStrategies } from "unleash-client/lib/strategy";
import { compileSnapshot } from "../../lib/domain/config-snapshot";
import type { FlagRule } from "../../lib/domain/evaluation";
import type { Constraint, Segment, Strategy, VariantDefinition } from "../../lib/domain/targeting/model";
import { toUnleashFeatures } from "../../lib/domain/unleash-features";
import { rollgateAnswer, type SpecCase } from "../support/unleash-spec";

const SEGMENTS: Record<string, Segment> = {
  "1": {
    id: 1,
    name: "Staff",
    constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"], caseInsensitive: true }],
  },
  "2": { id: 2, name: "Adults", constraints: [{ contextName: "age", operator: "NUM_GTE", value: "18" }] },
};
const constraint: fc.Arbitrary<Constraint> = fc.constantFrom<Constraint>(
  { contextName: "tenant", operator: "IN", values: ["t1", "t2"] },
  { contextName: "tenant", operator: "NOT_IN", values: ["t0"], inverted: true },
  { contextName: "version", operator: "SEMVER_GTE", value: "1.2.0" },
  { contextName: "email", operator: "REGEX", value: "^[ab]" },
  { contextName: "remoteAddress", operator: "IN_CIDR", values: ["10.0.0.0/8"] },
  { contextName: "currentTime", operator: "DATE_AFTER", value: "2020-01-01T00:00:00Z" },
);
const variants: fc.Arbitrary<VariantDefinition[]> = fc.array(
  fc.record(
    {
      name: fc.constantFrom("control", "treatment", "other"),
      weight: fc.constantFrom(0, 1, 250, 500),
      stickiness: fc.constantFrom("default", "sessionId", "tenant"),
      payload: fc.constantFrom<VariantDefinition["payload"]>({ type: "string", value: "x" }, { type: "json", value: "[1]" }),
      overrides: fc.constant([{ contextName: "tenant", values: ["t2"] }]),
    },
    { requiredKeys: ["name", "weight"] },
  ),
  { maxLength: 3 },
);
const strategy: fc.Arbitrary<Strategy> = fc.record({
  rollout: fc.constantFrom(0, 1, 30, 50, 100),
  stickiness: fc.constantFrom("default", "userId", "sessionId", "tenant"),
  groupId: fc.constantFrom("g", "", "checkout"),
  constraints: fc.array(constraint, { maxLength: 2 }),
  segments: fc.subarray([1, 2, 404], { maxLength: 2 }),
  variants,
});
const rule = (key: string): fc.Arbitrary<FlagRule> =>
  fc.record({
    enabled: fc.boolean(),
    killed: fc.constantFrom(false, false, false, true),
    rolloutPercent: fc.constantFrom(0, 10, 50, 100),
    allowlist: fc.subarray(["u1", "u2"]),
    groupId: fc.constantFrom(undefined, "grp"),
    version: fc.constant(1),
    targeting: fc.record({
      strategies: fc.array(strategy, { maxLength: 3 }),
      variants,
      dependencies:
        key === "a"
          ? fc.constant([])
          : fc.subarray([{ feature: "a" }, { feature: "a", variants: ["control"] }, { feature: "b", enabled: false }], { maxLength: 1 }),
    }),
  });

const CONTEXTS: SpecCase["context"][] = Array.from({ length: 40 }, (_, i) => ({
  ...(i % 5 === 4 ? {} : { userId: i % 6 === 0 ? "u1" : `user-${i * 7919}` }),
  sessionId: `s-${i * 104729}`,
  remoteAddress: i % 2 ? "10.9.8.7" : "8.8.8.8",
  currentTime: "2026-06-01T00:00:00Z",
  properties: {
    tenant: `t${i % 3}`,
    email: ["ann@acme.com", "Bob@ACME.com", "carl@else.org"][i % 3]!,
    age: String(12 + i),
    version: `1.${i % 4}.0`,
  },
}));

describe("unleash-client reading Rollgate's client API, on generated Rollgate flags", () => {
  it("answers isEnabled and getVariant as Rollgate's evaluator for every subject", () => {
    fc.assert(
      fc.property(fc.tuple(rule("a"), rule("b"), rule("c")), ([a, b, c]) => {
        const snapshot = compileSnapshot({ environment: "e", version: 1, flags: { a, b, c }, segments: SEGMENTS });
        const features = new Map(toUnleashFeatures(snapshot).features.map((f) => [f.name, f]));
        const client = new UnleashClient(
          { getToggle: (n: string) => features.get(n), getSegment: () => undefined } as never,
          defaultStrategies,
        );
        const imported = { snapshot, problems: new Map<string, string[]>() };
        for (const key of ["a", "b", "c"])
          for (const context of CONTEXTS) {
            const probe = { description: "", context, toggleName: key, expectedResult: false };
            const v = client.getVariant(key, context as never);
            const [enabled, expectedEnabled] = [
              rollgateAnswer(imported, probe, false),
              client.isEnabled(key, context as never, () => false),
            ];
            const [variant, expectedVariant] = [
              rollgateAnswer(imported, probe, true),
              { name: v.name, ...(v.payload ? { payload: v.payload } : {}), enabled: v.enabled, feature_enabled: v.feature_enabled },
            ];
            // 30,000 answers: expect (and the message, the three flags as JSON) only where they differ,
            // which leaves the fuzz less than half its CPU; strict equality implies expect's.
            if (enabled === expectedEnabled && isDeepStrictEqual(variant, expectedVariant)) continue;
            const why = `${key} for ${JSON.stringify(context)} in ${JSON.stringify({ a, b, c })}`;
            expect(enabled, why).toBe(expectedEnabled);
            expect(variant, why).toEqual(expectedVariant);
          }
      }),
      { numRuns: 250, seed: 2526 },
    );
  }, 60_000);
});
