import { describe, expect, it } from "vitest";
import { drawsByChanceFor, drawsByChanceForAny, readsClockOrChance } from "@/lib/domain/targeting/reads-clock-or-chance";
import type { Strategy, Targeting } from "@/lib/domain/targeting/model";

const strategy = (s: Partial<Strategy>): Strategy =>
  ({ rollout: 50, stickiness: "default", groupId: "g", constraints: [], segments: [], ...s }) as Strategy;
const targeting = (strategies: Strategy[], variants: Targeting["variants"] = []): Targeting => ({ strategies, variants, dependencies: [] });
const dateAfter = { contextName: "currentTime", operator: "DATE_AFTER", value: "2030-01-01T00:00:00Z", values: [] } as never;

describe("readsClockOrChance", () => {
  it("is false for a flag without targeting, or whose answers follow its configuration and the context", () => {
    expect(readsClockOrChance(null, {})).toBe(false);
    expect(readsClockOrChance(targeting([strategy({ stickiness: "userId" })]), {})).toBe(false);
  });

  it("is true for a date constraint, in the strategy or in a segment it uses, and for random stickiness", () => {
    expect(readsClockOrChance(targeting([strategy({ constraints: [dateAfter] })]), {})).toBe(true);
    const segments = { "7": { id: 7, name: "after launch", constraints: [dateAfter] } } as never;
    expect(readsClockOrChance(targeting([strategy({ segments: [7] })]), segments)).toBe(true);
    expect(readsClockOrChance(targeting([strategy({ segments: [7] })]), {})).toBe(false);
    expect(readsClockOrChance(targeting([strategy({ stickiness: "random" })]), {})).toBe(true);
    expect(readsClockOrChance(targeting([strategy({})], [{ name: "a", weight: 1000, stickiness: "random" }] as never), {})).toBe(true);
  });
});

describe("drawsByChanceFor", () => {
  const variants = (stickiness?: string) =>
    [
      { name: "a", weight: 500, ...(stickiness ? { stickiness } : {}) },
      { name: "b", weight: 500 },
    ] as never;

  it("is null when every answer follows the configuration and the context", () => {
    expect(drawsByChanceFor(null)).toBeNull();
    expect(drawsByChanceFor(targeting([strategy({ stickiness: "userId" })]))).toBeNull();
    // 100 % and 0 % draw nothing; one variant with a weight is picked whatever the draw.
    expect(drawsByChanceFor(targeting([strategy({ rollout: 100 }), strategy({ rollout: 0 })]))).toBeNull();
    expect(
      drawsByChanceFor(
        targeting([strategy({ rollout: 100 })], [
          { name: "a", weight: 1000 },
          { name: "b", weight: 0 },
        ] as never),
      ),
    ).toBeNull();
  });

  it('draws a "default" percentage only without user and session id', () => {
    const draws = drawsByChanceFor(targeting([strategy({ rollout: 50 })]))!;
    expect(draws({})).toBe(true);
    expect(draws({ remoteAddress: "10.0.0.1" })).toBe(true);
    expect(draws({ userId: "u1" })).toBe(false);
    expect(draws({ sessionId: "s1" })).toBe(false);
  });

  it("draws variants when the context lacks what they stick to: user, session or address by default, else their field", () => {
    const byDefault = drawsByChanceFor(targeting([strategy({ rollout: 100 })], variants()))!;
    expect(byDefault({})).toBe(true);
    expect(byDefault({ remoteAddress: "10.0.0.1" })).toBe(false);
    const byTenant = drawsByChanceFor(targeting([strategy({ rollout: 100 })], variants("tenant")))!;
    expect(byTenant({ userId: "u1" })).toBe(true);
    expect(byTenant({ properties: { tenant: "acme" } })).toBe(false);
    // A strategy's variants without a stickiness of their own stick as the strategy does.
    const strategyVariants = drawsByChanceFor(targeting([strategy({ rollout: 100, stickiness: "tenant", variants: variants() })]))!;
    expect(strategyVariants({ userId: "u1" })).toBe(true);
    expect(strategyVariants({ properties: { tenant: "acme" } })).toBe(false);
  });

  it("of several flags, draws when any of them would", () => {
    const draws = drawsByChanceForAny([
      null,
      targeting([strategy({ rollout: 50 })]),
      targeting([strategy({ rollout: 100 })], variants("tenant")),
    ])!;
    expect(draws({ userId: "u1" })).toBe(true); // no tenant for the variants
    expect(draws({ properties: { tenant: "acme" } })).toBe(true); // no id for the percentage
    expect(draws({ userId: "u1", properties: { tenant: "acme" } })).toBe(false);
    expect(drawsByChanceForAny([null, targeting([strategy({ stickiness: "userId" })])])).toBeNull();
  });
});
