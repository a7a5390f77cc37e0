// "exact" must mean exact: generated Unleash states (every strategy kind, constraints, segments,
// strategy and flag variants with overrides, dependencies), evaluated by the real unleash-client as
// Unleash serves them and by Rollgate after import. Every flag the import does not name as a problem
// answers the same for every generated subject; the rest is named, never imported silently wrong.
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import UnleashClient from "unleash-client/lib/client";
import { defaultStrategies } from "unleash-client/lib/strategy";
import { importSpecState, rollgateAnswer, type SpecCase } from "../support/unleash-spec";

type Json = Record<string, unknown>;

const constraintArb = fc.oneof(
  fc.record({
    contextName: fc.constantFrom("tenant", "userId", "environment"),
    operator: fc.constantFrom("IN", "NOT_IN"),
    values: fc.subarray(["t1", "t2", "u1", "prod", "dev"]),
    inverted: fc.boolean(),
  }),
  fc.record({
    contextName: fc.constant("email"),
    operator: fc.constantFrom("STR_ENDS_WITH", "STR_CONTAINS"),
    values: fc.constant(["@acme.com"]),
    caseInsensitive: fc.boolean(),
  }),
  fc.record({ contextName: fc.constant("age"), operator: fc.constantFrom("NUM_GT", "NUM_LTE"), value: fc.constantFrom("18", "30") }),
  fc.record({
    contextName: fc.constant("version"),
    operator: fc.constantFrom("SEMVER_GTE", "SEMVER_LT"),
    value: fc.constantFrom("1.2.0", "2.0.0-beta.1"),
  }),
  fc.record({
    contextName: fc.constant("email"),
    operator: fc.constant("REGEX"),
    value: fc.constantFrom("^a", "acme\\.com$", "(?i)^B", "(a+)+$"),
  }),
  fc.record({ contextName: fc.constant("remoteAddress"), operator: fc.constant("IN_CIDR"), values: fc.constant(["10.0.0.0/8"]) }),
  fc.record({ contextName: fc.constant("x"), operator: fc.constant("GEO_NEAR"), values: fc.constant([]) }),
);
const variantsArb = fc.array(
  fc.record(
    {
      name: fc.constantFrom("blue", "red", "green"),
      weight: fc.constantFrom(0, 1, 50, 500),
      stickiness: fc.constantFrom("default", "userId", "sessionId", "tenant"),
      payload: fc.constantFrom({ type: "string", value: "s" }, { type: "json", value: '{"a":1}' }, { type: "number", value: "2" }),
      overrides: fc.constantFrom([{ contextName: "userId", values: ["u1"] }], [{ contextName: "tenant", values: ["t2"] }]),
    },
    { requiredKeys: ["name", "weight"] },
  ),
  { maxLength: 3 },
);
const percent = fc.constantFrom("0", "1", "33", "50", "99", "100", "101", "x");
const strategyArb = fc.oneof(
  fc.record({ name: fc.constant("default"), parameters: fc.constant({}) }),
  fc.record({ name: fc.constant("userWithId"), parameters: fc.record({ userIds: fc.constantFrom("u1,u2", "u3", "u1, u4") }) }),
  fc.record({
    name: fc.constantFrom("gradualRolloutUserId", "gradualRolloutSessionId"),
    parameters: fc.record({ percentage: percent, groupId: fc.constantFrom("g", "h") }),
  }),
  fc.record({
    name: fc.constant("flexibleRollout"),
    parameters: fc.record({
      rollout: percent,
      stickiness: fc.constantFrom("default", "userId", "sessionId", "tenant"),
      groupId: fc.constantFrom("g", "h"),
    }),
  }),
  fc.record({
    name: fc.constant("remoteAddress"),
    parameters: fc.record({ IPs: fc.constantFrom("10.1.2.3", "10.0.0.0/8, 192.168.1.1", "::1") }),
  }),
  fc.record({ name: fc.constantFrom("applicationHostname", "custom"), parameters: fc.constant({ hostNames: "web" }) }),
);
const fullStrategy = fc.record(
  {
    strategy: strategyArb,
    constraints: fc.array(constraintArb, { maxLength: 2 }),
    segments: fc.subarray([1, 2, 404], { maxLength: 1 }),
    variants: variantsArb,
  },
  { requiredKeys: ["strategy"] },
);
const featureArb = (name: string) =>
  fc.record({
    name: fc.constant(name),
    enabled: fc.boolean(),
    strategies: fc.array(fullStrategy, { maxLength: 3 }),
    variants: variantsArb,
    dependencies: fc.subarray(
      [{ feature: "f0" }, { feature: "f1", enabled: false }, { feature: "f0", variants: ["blue"] }, { feature: "missing" }],
      { maxLength: 1 },
    ),
  });
const stateArb = fc.tuple(featureArb("f0"), featureArb("f1"), featureArb("f2")).map(
  ([a, b, c]) =>
    ({
      version: 2,
      segments: [
        { id: 1, constraints: [{ contextName: "tenant", operator: "IN", values: ["t1"] }] },
        { id: 2, constraints: [{ contextName: "age", operator: "NUM_GT", value: "18" }] },
      ],
      features: [a, b, c].map((f) => ({
        ...f,
        dependencies: f.name === "f0" ? [] : f.dependencies,
        strategies: f.strategies.map((s) => ({
          ...s.strategy,
          constraints: s.constraints ?? [],
          segments: s.segments ?? [],
          variants: s.variants ?? [],
        })),
      })),
    }) as Json,
);

const CONTEXTS: SpecCase["context"][] = Array.from({ length: 40 }, (_, i) => ({
  userId: i % 7 === 0 ? "u1" : `user-${i * 7919}`,
  sessionId: `s-${i * 104729}`,
  environment: i % 2 ? "prod" : "dev",
  remoteAddress: ["10.1.2.3", "192.168.1.1", "::1", "8.8.8.8"][i % 4]!,
  properties: { tenant: `t${i % 3}`, email: i % 2 ? "bob@acme.com" : "ann@else.org", age: String(10 + i), version: `1.${i % 4}.0` },
}));

/** unleash-client on the state as Unleash serves it (segments by reference, as its repository keeps them). */
function unleashClient(state: Json) {
  const features = new Map((state.features as Json[]).map((f) => [f.name as string, f]));
  const segments = new Map((state.segments as Json[]).map((s) => [s.id as number, s]));
  const client = new UnleashClient(
    { getToggle: (n: string) => features.get(n), getSegment: (id: number) => segments.get(id) } as never,
    defaultStrategies,
  );
  return (toggleName: string, context: SpecCase["context"], variant: boolean): unknown => {
    if (!variant) return client.isEnabled(toggleName, context as never, () => false);
    const v = client.getVariant(toggleName, context as never);
    return { name: v.name, ...(v.payload ? { payload: v.payload } : {}), enabled: v.enabled, feature_enabled: v.feature_enabled };
  };
}

describe("no silent wrong answer on generated Unleash states", () => {
  it("every flag imported without problems answers as unleash-client, for every subject", () => {
    let exact = 0;
    let named = 0;
    fc.assert(
      fc.property(stateArb, (state) => {
        const imported = importSpecState(state);
        const unleashAnswer = unleashClient(state);
        for (const f of state.features as Json[]) {
          const name = f.name as string;
          if (imported.problems.get(name)!.length) {
            named++;
            continue;
          }
          exact++;
          for (const context of CONTEXTS)
            for (const variant of [false, true]) {
              const c = { description: "", context, toggleName: name, expectedResult: false };
              const [ours, theirs] = [rollgateAnswer(imported, c, variant), unleashAnswer(name, context, variant)];
              // expect (and its message, the whole state as JSON) only where they differ: strict
              // equality implies expect's, and building the message for every answer was half the CPU.
              if (isDeepStrictEqual(ours, theirs)) continue;
              expect(ours, `${name} ${JSON.stringify(context)} in ${JSON.stringify(state)}`).toEqual(theirs);
            }
        }
      }),
      { numRuns: 300, seed: 2525 },
    );
    // Both kinds were generated in numbers: the property says something.
    expect(exact).toBeGreaterThan(200);
    expect(named).toBeGreaterThan(100);
  }, 60_000);
});
