import { describe, expect, it } from "vitest";
import { exposureSentence, describePlanChanges, timeAtEachExposure, type PlannedPhase } from "../../lib/domain/approval-review";

const on = (rolloutPercent: number, allowlist: string[] = []) => ({ enabled: true, rolloutPercent, allowlist });
const MIN = 60_000;

describe("exposure in words", () => {
  it("names off, an allowlist, a percentage and both", () => {
    expect(exposureSentence({ enabled: false, rolloutPercent: 50, allowlist: ["a"] })).toBe("off");
    expect(exposureSentence(on(0, ["a"]))).toBe("on for 1 allowlisted key");
    expect(exposureSentence(on(0, ["a", "b"]))).toBe("on for 2 allowlisted keys");
    expect(exposureSentence(on(10))).toBe("on for 10 %");
    expect(exposureSentence(on(10, ["a", "b"]))).toBe("on for 10 % and 2 allowlisted keys");
  });
});

describe("time at each exposure", () => {
  it("sums the time each state was held until the next change, the last until the end", () => {
    const spans = timeAtEachExposure(
      [
        { at: 0, state: on(0, ["qa"]) },
        { at: 20 * MIN, state: on(10) },
        { at: 60 * MIN, state: on(50) },
        // Back to 10 % (a hand change the rollout recorded) counts with the first 10 %.
        { at: 90 * MIN, state: on(10) },
      ],
      100 * MIN,
    );
    expect(spans).toEqual([
      { exposure: "on for 1 allowlisted key", percent: 0, enabled: true, seconds: 1200 },
      { exposure: "on for 10 %", percent: 10, enabled: true, seconds: 2400 + 600 },
      { exposure: "on for 50 %", percent: 50, enabled: true, seconds: 1800 },
    ]);
    expect(timeAtEachExposure([], 5)).toEqual([]);
  });
});

describe("what changed in the plan", () => {
  const phase = (p: Partial<PlannedPhase> = {}): PlannedPhase => ({
    name: "10%",
    percent: 10,
    minSoakSeconds: 3600,
    requiredApprovals: 1,
    criteria: { maxErrorRate: 0.01 },
    checklist: [],
    allowlist: [],
    notBefore: null,
    ...p,
  });
  it("says nothing when nothing changed", () => {
    expect(describePlanChanges({ phases: [phase()], impact: { risks: "x" } }, { phases: [phase()], impact: { risks: "x" } })).toEqual([]);
  });
  it("names each changed field, added and removed phases, and the impact", () => {
    const before = { phases: [phase(), phase({ name: "50%", percent: 50 })], impact: { risks: "a", riskLevel: "low" } };
    const after = {
      phases: [
        phase({ percent: 15, minSoakSeconds: 7200, criteria: { maxErrorRate: 0.02 }, allowlist: ["qa"] }),
        phase({ name: "half", percent: 50, requiredApprovals: 2 }),
        phase({ name: "100%", percent: 100 }),
      ],
      impact: { risks: "b", riskLevel: "low" },
    };
    expect(describePlanChanges(before, after)).toEqual([
      "Phase 1 “10%”: 10 % → 15 %",
      "Phase 1 “10%”: soak 1 h → 2 h",
      "Phase 1 “10%”: criteria maxErrorRate 0.01 → maxErrorRate 0.02",
      "Phase 1 “10%”: allowlist 0 → 1 keys",
      "Phase 2 renamed “50%” → “half”",
      "Phase 2 “half”: approvals 1 → 2",
      "Phase 3 “100%” added (100 %)",
      "Impact assessment: risks changed",
    ]);
    expect(describePlanChanges(after, before)).toContain("Phase 3 “100%” removed");
  });
  it("names a changed communication plan by its webhooks; a plan recorded before it existed meant every webhook", () => {
    const names = new Map([
      ["a", "Team channel"],
      ["b", "Pager"],
    ]);
    const plan = (notifyWebhookIds?: string[] | null) => ({ phases: [phase()], impact: {}, notifyWebhookIds });
    expect(describePlanChanges(plan(), plan(null), names)).toEqual([]);
    expect(describePlanChanges(plan(["b", "a"]), plan(["a", "b"]), names)).toEqual([]);
    expect(describePlanChanges(plan(), plan(["a"]), names)).toEqual(["Communication plan: every enabled webhook → “Team channel”"]);
    expect(describePlanChanges(plan(["a", "b", "gone"]), plan([]), names)).toEqual([
      "Communication plan: a deleted webhook, “Pager” and “Team channel” → no webhook",
    ]);
  });
  it("names a segment's changed name or rules by the audience in words, beside a changed percentage, and not when only that changed", () => {
    const staff = (rule: string, percent = 10) =>
      phase({ percent, segments: [3], audience: `Staff (email ends with ${rule}) and ${percent} % of everyone` });
    const plan = (p: PlannedPhase) => ({ phases: [p], impact: {} });
    const acme = "Staff (email ends with @acme.com)";
    const pilot = "Staff (email ends with @pilot.dev)";
    expect(describePlanChanges(plan(staff("@acme.com")), plan(staff("@pilot.dev")))).toEqual([
      `Phase 1 “10%”: audience “${acme} and 10 % of everyone” → “${pilot} and 10 % of everyone” (a segment changed)`,
    ]);
    expect(describePlanChanges(plan(staff("@acme.com")), plan(staff("@acme.com", 20)))).toEqual(["Phase 1 “10%”: 10 % → 20 %"]);
    expect(describePlanChanges(plan(staff("@acme.com")), plan(staff("@pilot.dev", 20)))).toEqual([
      "Phase 1 “10%”: 10 % → 20 %",
      `Phase 1 “10%”: audience “${acme} and 10 % of everyone” → “${pilot} and 20 % of everyone” (a segment changed)`,
    ]);
    // At 100 % a phase serves everyone, whatever its segments say.
    const all = phase({ percent: 100, segments: [3], audience: "everyone" });
    expect(describePlanChanges(plan(all), plan({ ...all }))).toEqual([]);
  });
});
