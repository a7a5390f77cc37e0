import { describe, expect, it } from "vitest";
import { fieldErrors } from "../../lib/api/http";
import { completeTargeting, constraintSchema, targetingSchema } from "../../lib/targeting/targeting-schemas";
import { updateFlagStateSchema } from "../../lib/flags/flag-schemas";
import { createSegmentSchema } from "../../lib/segments/segment-schemas";

/** The field messages a value gets, as the API would send them. */
function errorsOf(schema: { safeParse: (v: unknown) => { success: boolean; error?: unknown } }, value: unknown): Record<string, string> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return {};
  return fieldErrors(parsed.error as Parameters<typeof fieldErrors>[0]);
}

const strategy = (constraints: unknown[]) => ({ targeting: { strategies: [{ rollout: 100, constraints }] }, version: 1 });

describe("constraint validation", () => {
  it.each([
    [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] }],
    [{ contextName: "userId", operator: "IN", values: ["a", "b"], inverted: true }],
    [{ contextName: "age", operator: "NUM_GTE", value: "18" }],
    [{ contextName: "currentTime", operator: "DATE_AFTER", value: "2026-12-31T23:59:00Z" }],
    [{ contextName: "currentTime", operator: "DATE_BEFORE", value: "2026-12-31" }],
    [{ contextName: "appVersion", operator: "SEMVER_GT", value: "2.0.0-beta.1" }],
    [{ contextName: "email", operator: "REGEX", value: "^[a-z]+@acme\\.com$", caseInsensitive: true }],
    [{ contextName: "remoteAddress", operator: "IN_CIDR", values: ["10.0.0.0/8", "2001:db8::/32", "192.168.1.7"] }],
  ])("accepts %j", (c) => {
    expect(constraintSchema.safeParse(c).success).toBe(true);
  });

  it.each([
    ["an unknown operator", { contextName: "x", operator: "LIKE", values: ["a"] }, "targeting.strategies.0.constraints.0.operator"],
    ["a list operator without values", { contextName: "x", operator: "IN" }, "targeting.strategies.0.constraints.0.values"],
    ["an empty list", { contextName: "x", operator: "STR_CONTAINS", values: [] }, "targeting.strategies.0.constraints.0.values"],
    ["a single-value operator without value", { contextName: "x", operator: "NUM_EQ" }, "targeting.strategies.0.constraints.0.value"],
    ["a number that is not one", { contextName: "x", operator: "NUM_LT", value: "ten" }, "targeting.strategies.0.constraints.0.value"],
    ["an infinite number", { contextName: "x", operator: "NUM_LT", value: "1e999" }, "targeting.strategies.0.constraints.0.value"],
    [
      "a date that is not ISO",
      { contextName: "x", operator: "DATE_AFTER", value: "31/12/2026" },
      "targeting.strategies.0.constraints.0.value",
    ],
    ["an impossible date", { contextName: "x", operator: "DATE_AFTER", value: "2026-13-45" }, "targeting.strategies.0.constraints.0.value"],
    ["a bad semver", { contextName: "v", operator: "SEMVER_EQ", value: "1.2" }, "targeting.strategies.0.constraints.0.value"],
    ["a regex that does not compile", { contextName: "x", operator: "REGEX", value: "(" }, "targeting.strategies.0.constraints.0.value"],
    ["a catastrophic regex", { contextName: "x", operator: "REGEX", value: "^(a+)+$" }, "targeting.strategies.0.constraints.0.value"],
    ["an overlong regex", { contextName: "x", operator: "REGEX", value: "a".repeat(201) }, "targeting.strategies.0.constraints.0.value"],
    [
      "a bad CIDR prefix",
      { contextName: "ip", operator: "IN_CIDR", values: ["10.0.0.0/8", "10.0.0.0/33"] },
      "targeting.strategies.0.constraints.0.values.1",
    ],
    ["not an address", { contextName: "ip", operator: "IN_CIDR", values: ["localhost"] }, "targeting.strategies.0.constraints.0.values.0"],
    ["an empty context name", { contextName: " ", operator: "IN", values: ["a"] }, "targeting.strategies.0.constraints.0.contextName"],
    [
      "a long context name",
      { contextName: "c".repeat(101), operator: "IN", values: ["a"] },
      "targeting.strategies.0.constraints.0.contextName",
    ],
    [
      "too many values",
      { contextName: "x", operator: "IN", values: Array.from({ length: 1001 }, (_, i) => `v${i}`) },
      "targeting.strategies.0.constraints.0.values",
    ],
    ["an unknown key", { contextName: "x", operator: "IN", values: ["a"], negate: true }, "targeting.strategies.0.constraints.0"],
  ])("refuses %s", (_name, c, field) => {
    const errors = errorsOf(updateFlagStateSchema, strategy([c]));
    expect(Object.keys(errors)).toEqual([field]);
  });

  it("keeps only values or value, and drops false flags", () => {
    expect(constraintSchema.parse({ contextName: "x", operator: "IN", values: ["a"], value: "", inverted: false })).toEqual({
      contextName: "x",
      operator: "IN",
      values: ["a"],
    });
    expect(constraintSchema.parse({ contextName: "x", operator: "NUM_EQ", values: [], value: " 5 ", caseInsensitive: true })).toEqual({
      contextName: "x",
      operator: "NUM_EQ",
      value: "5",
      caseInsensitive: true,
    });
  });
});

describe("targeting validation", () => {
  it("bounds strategies, constraints, rollout, stickiness and variants", () => {
    const many = (n: number, item: unknown) => Array.from({ length: n }, () => item);
    const c = { contextName: "x", operator: "IN", values: ["a"] };
    expect(Object.keys(errorsOf(targetingSchema, { strategies: many(51, { rollout: 1 }) }))).toEqual(["strategies"]);
    expect(Object.keys(errorsOf(targetingSchema, { strategies: [{ rollout: 1, constraints: many(51, c) }] }))).toEqual([
      "strategies.0.constraints",
    ]);
    expect(Object.keys(errorsOf(targetingSchema, { strategies: [{ rollout: 101 }] }))).toEqual(["strategies.0.rollout"]);
    expect(Object.keys(errorsOf(targetingSchema, { strategies: [{ rollout: 5, stickiness: "" }] }))).toEqual(["strategies.0.stickiness"]);
    expect(
      Object.keys(
        errorsOf(targetingSchema, {
          variants: [
            { name: "a", weight: 0 },
            { name: "b", weight: 0 },
          ],
        }),
      ),
    ).toEqual(["variants"]);
    expect(Object.keys(errorsOf(targetingSchema, { variants: [{ name: "a", weight: -1 }] }))).toContain("variants.0.weight");
    expect(
      Object.keys(
        errorsOf(targetingSchema, {
          variants: [
            { name: "a", weight: 1 },
            { name: "a", weight: 1 },
          ],
        }),
      ),
    ).toEqual(["variants.1.name"]);
    const payload = (type: string, value: string) => ({ variants: [{ name: "a", weight: 1, payload: { type, value } }] });
    expect(Object.keys(errorsOf(targetingSchema, payload("number", "x")))).toEqual(["variants.0.payload.value"]);
    expect(Object.keys(errorsOf(targetingSchema, payload("json", "{nope")))).toEqual(["variants.0.payload.value"]);
    expect(Object.keys(errorsOf(targetingSchema, payload("yaml", "a: 1")))).toEqual(["variants.0.payload.type"]);
    expect(errorsOf(targetingSchema, payload("json", '{"a":1}'))).toEqual({});
    expect(Object.keys(errorsOf(targetingSchema, { strategies: [{ rollout: 1, segments: [0] }] }))).toEqual(["strategies.0.segments.0"]);
    expect(Object.keys(errorsOf(targetingSchema, { dependencies: [{ feature: "has space" }] }))).toEqual(["dependencies.0.feature"]);
  });

  it("fills defaults: stickiness, empty lists, and the flag's bucketing group", () => {
    const parsed = targetingSchema.parse({
      strategies: [
        { rollout: 20, title: "Canada" },
        { rollout: 5, groupId: "legacy" },
      ],
    });
    expect(completeTargeting(parsed, "checkout")).toEqual({
      strategies: [
        { rollout: 20, stickiness: "default", groupId: "checkout", constraints: [], segments: [], variants: [], title: "Canada" },
        { rollout: 5, stickiness: "default", groupId: "legacy", constraints: [], segments: [], variants: [] },
      ],
      variants: [],
      dependencies: [],
    });
  });

  it("accepts null (remove targeting) and counts it as a change", () => {
    expect(updateFlagStateSchema.safeParse({ version: 1, targeting: null }).success).toBe(true);
    expect(updateFlagStateSchema.safeParse({ version: 1 }).success).toBe(false);
  });
});

describe("segment validation", () => {
  it("needs a name and at least one valid constraint", () => {
    expect(Object.keys(errorsOf(createSegmentSchema, { name: "Staff", constraints: [] }))).toEqual(["constraints"]);
    expect(
      Object.keys(errorsOf(createSegmentSchema, { name: "", constraints: [{ contextName: "email", operator: "IN", values: ["a"] }] })),
    ).toEqual(["name"]);
    expect(
      Object.keys(
        errorsOf(createSegmentSchema, { name: "Staff", constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: [""] }] }),
      ),
    ).toEqual(["constraints.0.values.0"]);
  });
});

describe("constraints in words", () => {
  it("reads as a sentence, with inversion, case and long lists", async () => {
    const { describeConstraint, describeConstraints } = await import("../../lib/domain/targeting/describe");
    expect(describeConstraint({ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] })).toBe(
      "email ends with @acme.com",
    );
    expect(describeConstraint({ contextName: "tenant", operator: "IN", values: ["a", "b", "c", "d", "e"], inverted: true })).toBe(
      "not (tenant is one of a, b, c or 2 more)",
    );
    expect(
      describeConstraints([
        { contextName: "appVersion", operator: "SEMVER_GTE", value: "2.0.0" },
        { contextName: "email", operator: "STR_CONTAINS", values: ["acme"], caseInsensitive: true },
      ]),
    ).toBe("appVersion is at least version 2.0.0 and email contains acme (any case)");
  });
});
