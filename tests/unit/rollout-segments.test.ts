// A rollout phase that serves a segment ("Staff"): evaluation, the Unleash client API, exposure
// checks and the words the plan, gates and approval form use.
import { describe, expect, it } from "vitest";
import UnleashClient from "unleash-client/lib/client";
import { defaultStrategies } from "unleash-client/lib/strategy";
import { compileSnapshot, diffSnapshot } from "../../lib/domain/config-snapshot";
import { evaluate, evaluateWithContext, ruleSegmentIds, type FlagRule } from "../../lib/domain/evaluation";
import { describeExposure, widensExposure } from "../../lib/domain/flag-exposure";
import { describeAudience } from "../../lib/domain/rollout-audience";
import { describePlanChanges, type PlannedPhase } from "../../lib/domain/approval-review";
import type { Segment } from "../../lib/domain/targeting/model";
import { toUnleashFeatures } from "../../lib/domain/unleash-features";

const STAFF: Segment = { id: 7, name: "Staff", constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] }] };
const rule = (over: Partial<FlagRule> = {}): FlagRule => ({
  enabled: true,
  killed: false,
  rolloutPercent: 0,
  allowlist: [],
  version: 1,
  rolloutSegments: [7],
  ...over,
});
const snapshot = (r: FlagRule, segments: Record<string, Segment> = { "7": STAFF }) =>
  compileSnapshot({ environment: "production", version: 3, flags: { checkout: r }, segments });
const env = { flag: () => undefined, random: () => 0.5, now: () => Date.parse("2026-12-03T10:00:00Z") };
const staff = { userId: "u-1", properties: { email: "ana@acme.com" } };
const customer = { userId: "u-2", properties: { email: "bo@example.com" } };

describe("a phase's segments in evaluation", () => {
  it("serve the segment on (TARGETING_MATCH) and everyone else off at 0 %", () => {
    const flag = snapshot(rule()).flags.get("checkout")!;
    expect(evaluateWithContext(flag, staff, env)).toMatchObject({ value: true, reason: "TARGETING_MATCH" });
    expect(evaluateWithContext(flag, customer, env)).toMatchObject({ value: false, reason: "DEFAULT" });
    // Without a context the segment cannot match: the on/off API answers off, never an error.
    expect(evaluate(flag, "u-2")).toMatchObject({ value: false });
  });

  it("add the segment to the phase's percentage: everyone else is bucketed as before", () => {
    const plain = snapshot(rule({ rolloutPercent: 30, rolloutSegments: undefined })).flags.get("checkout")!;
    const withStaff = snapshot(rule({ rolloutPercent: 30 })).flags.get("checkout")!;
    for (let i = 0; i < 500; i++) {
      const c = { userId: `user-${i}`, properties: { email: `u${i}@example.com` } };
      const a = evaluateWithContext(plain, c, env);
      const b = evaluateWithContext(withStaff, c, env);
      expect("value" in b && b.value).toBe("value" in a && a.value);
    }
    expect(evaluateWithContext(withStaff, { ...staff, userId: "user-0" }, env)).toMatchObject({ value: true });
  });

  it("a phase with two segments serves everyone in either, not only those in both", () => {
    const BETA: Segment = { id: 8, name: "Beta", constraints: [{ contextName: "tier", operator: "IN", values: ["beta"] }] };
    const both = snapshot(rule({ rolloutSegments: [7, 8] }), { "7": STAFF, "8": BETA });
    const flag = both.flags.get("checkout")!;
    expect(evaluateWithContext(flag, staff, env)).toMatchObject({ value: true });
    expect(evaluateWithContext(flag, { userId: "u-3", properties: { tier: "beta" } }, env)).toMatchObject({ value: true });
    expect(evaluateWithContext(flag, customer, env)).toMatchObject({ value: false });
    expect(toUnleashFeatures(both).features[0]!.strategies.map((s) => s.constraints)).toEqual([STAFF.constraints, BETA.constraints]);
  });

  it("a deleted segment matches no one, and kill still wins", () => {
    expect(evaluateWithContext(snapshot(rule(), {}).flags.get("checkout")!, staff, env)).toMatchObject({ value: false });
    expect(evaluateWithContext(snapshot(rule({ killed: true })).flags.get("checkout")!, staff, env)).toMatchObject({
      value: false,
      reason: "DISABLED",
    });
  });

  it("a segment's change patches the flags whose phase serves it", () => {
    const before = snapshot(rule());
    const changed: Segment = { ...STAFF, constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.io"] }] };
    const patch = diffSnapshot(before, { environment: "production", version: 4, flags: { checkout: rule() }, segments: { "7": changed } });
    expect(Object.keys(patch.flags)).toEqual(["checkout"]);
    expect(ruleSegmentIds(rule())).toEqual([7]);
    expect(
      diffSnapshot(before, { environment: "production", version: 4, flags: { checkout: rule({ rolloutSegments: [] }) } }).flags,
    ).toHaveProperty("checkout");
  });
});

describe("the Unleash client API", () => {
  it("sends the phase's segments as one more strategy, and unleash-client answers as Rollgate does", () => {
    const features = toUnleashFeatures(snapshot(rule({ rolloutPercent: 10 }))).features;
    expect(features[0]!.strategies.map((s) => s.name)).toEqual(["flexibleRollout", "flexibleRollout"]);
    expect(features[0]!.strategies[0]!.constraints).toEqual([STAFF.constraints[0]]);
    const repo = { getToggle: () => features[0], getSegment: () => undefined };
    const client = new UnleashClient(repo as never, defaultStrategies);
    const flag = snapshot(rule({ rolloutPercent: 10 })).flags.get("checkout")!;
    for (let i = 0; i < 300; i++) {
      const email = i % 3 === 0 ? `p${i}@acme.com` : `p${i}@example.com`;
      const ours = evaluateWithContext(flag, { userId: `u-${i}`, properties: { email } }, env);
      expect(client.isEnabled("checkout", { userId: `u-${i}`, properties: { email } } as never, () => false)).toBe(
        "value" in ours && ours.value,
      );
    }
  });
});

describe("exposure and words", () => {
  it("serving a segment not served now widens exposure; dropping one narrows it", () => {
    const now = { enabled: true, rolloutPercent: 10, allowlist: [] };
    expect(widensExposure(now, { ...now, rolloutSegments: [7] })).toBe(true);
    expect(widensExposure({ ...now, rolloutSegments: [7] }, now)).toBe(false);
    expect(
      widensExposure(
        { enabled: false, rolloutPercent: 0, allowlist: [] },
        { enabled: true, rolloutPercent: 0, allowlist: [], rolloutSegments: [7] },
      ),
    ).toBe(true);
    expect(describeExposure({ ...now, rolloutSegments: [7] }, () => "Staff")).toBe("10 % + segment Staff");
  });

  it("says a phase's audience with the segment's rules", () => {
    const segments = { "7": STAFF };
    expect(describeAudience({ percent: 0, allowlist: [], segments: [7] }, segments)).toBe("Staff (email ends with @acme.com)");
    expect(describeAudience({ percent: 10, allowlist: ["qa-1", "qa-2"], segments: [7] }, segments)).toBe(
      "Staff (email ends with @acme.com), 2 listed keys (qa-1, qa-2) and 10 % of everyone",
    );
    expect(describeAudience({ percent: 0, allowlist: [], segments: [9] }, segments)).toBe("segment 9 (deleted)");
    expect(describeAudience({ percent: 100, allowlist: [], segments: [7] }, segments)).toBe("everyone");
  });

  it("names an audience change in the plan's changes since it was approved", () => {
    const phase = (segments: number[], audience: string): PlannedPhase => ({
      name: "Internal",
      percent: 0,
      minSoakSeconds: 0,
      requiredApprovals: 1,
      criteria: {},
      checklist: [],
      allowlist: [],
      segments,
      audience,
    });
    expect(
      describePlanChanges(
        { phases: [phase([7], "Staff (email ends with @acme.com)")], impact: {} },
        { phases: [phase([8], "Beta (tier is one of beta)")], impact: {} },
      ),
    ).toEqual(["Phase 1 “Internal”: audience “Staff (email ends with @acme.com)” → “Beta (tier is one of beta)”"]);
  });
});
