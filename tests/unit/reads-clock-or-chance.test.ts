import { describe, expect, it } from "vitest";
import { readsClockOrChance } from "@/lib/domain/targeting/reads-clock-or-chance";
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
