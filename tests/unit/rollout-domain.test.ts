import { describe, expect, it } from "vitest";
import {
  criteriaInWords,
  evaluateGates,
  formatDuration,
  planProblems,
  ROLLOUT_STATUSES,
  rolloutOutcome,
  templatePlan,
  transition,
  type ApprovalView,
  type GateInput,
  type PhasePlan,
  type RolloutAction,
  type RolloutStatus,
} from "../../lib/domain/rollout";
import { quantileUpperBoundMs } from "../../lib/domain/latency-buckets";

const phase = (over: Partial<PhasePlan> = {}): PhasePlan => ({
  name: "p",
  percent: 10,
  minSoakSeconds: 0,
  criteria: {},
  requiredApprovals: 0,
  checklist: [],
  allowlist: [],
  ...over,
});

describe("rollout status machine", () => {
  // Every (status, action) pair, with the expected outcome: the next status or "refused".
  const expected: Record<RolloutStatus, Record<RolloutAction, RolloutStatus | "refused">> = {
    draft: { advance: "active", pause: "refused", resume: "refused", rollback: "rolled_back", edit: "draft" },
    active: { advance: "active", pause: "paused", resume: "refused", rollback: "rolled_back", edit: "active" },
    paused: { advance: "refused", pause: "refused", resume: "active", rollback: "rolled_back", edit: "paused" },
    completed: { advance: "refused", pause: "refused", resume: "refused", rollback: "refused", edit: "refused" },
    rolled_back: { advance: "refused", pause: "refused", resume: "refused", rollback: "refused", edit: "refused" },
  };
  for (const status of ROLLOUT_STATUSES) {
    for (const [action, outcome] of Object.entries(expected[status]) as [RolloutAction, RolloutStatus | "refused"][]) {
      it(`${status} + ${action} → ${outcome}`, () => {
        const phaseNow = status === "draft" ? -1 : 0;
        const t = transition(status, phaseNow, 3, action);
        if (outcome === "refused") expect(t.ok).toBe(false);
        else expect(t).toMatchObject({ ok: true, status: outcome });
      });
    }
  }
  it("advancing from draft starts phase 0, from the middle moves one phase, from the last completes", () => {
    expect(transition("draft", -1, 3, "advance")).toEqual({ ok: true, status: "active", phase: 0 });
    expect(transition("active", 1, 3, "advance")).toEqual({ ok: true, status: "active", phase: 2 });
    expect(transition("active", 2, 3, "advance")).toEqual({ ok: true, status: "completed", phase: 2 });
  });
});

describe("plan validation", () => {
  it("accepts the playbook template", () => {
    expect(planProblems(templatePlan(["qa-1"]))).toEqual({});
    expect(planProblems(templatePlan(["qa-1"], "staging"))).toEqual({});
  });
  it("soaks the seeds' days in production and minutes elsewhere", () => {
    expect(templatePlan([]).map((p) => p.minSoakSeconds)).toEqual([2, 3, 7, 14].map((d) => d * 86_400));
    expect(templatePlan([], "staging").map((p) => p.minSoakSeconds)).toEqual([900, 1800, 3600, 7200]);
  });
  it("needs strictly increasing percents from 0 to 100, and an allowlist for a 0 % first phase only", () => {
    expect(planProblems([])).toEqual({ phases: "add at least one phase" });
    expect(planProblems([phase({ percent: 10 }), phase({ percent: 10 })])).toEqual({
      "phases.1.percent": "must be more than the previous phase's 10 %",
    });
    expect(planProblems([phase({ percent: 50 }), phase({ percent: 20 })])).toHaveProperty("phases.1.percent");
    expect(planProblems([phase({ percent: 101 })])).toHaveProperty("phases.0.percent");
    expect(planProblems([phase({ percent: -1 })])).toHaveProperty("phases.0.percent");
    expect(planProblems([phase({ percent: 2.5 })])).toHaveProperty("phases.0.percent");
    expect(planProblems([phase({ percent: 0 })])).toEqual({
      "phases.0.percent": "a 0 % phase serves only its audience: add a segment or targeting keys",
    });
    expect(planProblems([phase({ percent: 10 }), phase({ percent: 0, allowlist: ["a"] })])).toHaveProperty("phases.1.percent");
    expect(planProblems([phase({ percent: 0, allowlist: ["a"] }), phase({ percent: 100 })])).toEqual({});
  });
  it("a 0 % first phase may serve a segment instead of an allowlist; the playbook carries it until 100 %", () => {
    expect(planProblems([phase({ percent: 0, segments: [3] }), phase({ percent: 100 })])).toEqual({});
    expect(planProblems([phase({ percent: 10 }), phase({ percent: 0, segments: [3] })])).toEqual({
      "phases.1.percent": "only the first phase may serve its audience alone (0 %)",
    });
    expect(templatePlan([], "staging", [3]).map((p) => p.segments ?? [])).toEqual([[3], [3], [3], []]);
  });
});

const now = new Date("2026-11-23T12:00:00Z");
const base = (over: Partial<GateInput> = {}): GateInput => ({
  status: "active",
  phases: [phase({ percent: 10, minSoakSeconds: 3600 }), phase({ percent: 50 })],
  currentPhase: 0,
  phaseStartedAt: new Date(now.getTime() - 7200_000),
  now,
  metrics: { requests: 0, errors: 0, p95Ms: null },
  approvals: [],
  ticked: new Set(),
  openIncidents: 0,
  ...over,
});
const gate = (input: GateInput, name: string) => evaluateGates(input).find((g) => g.name === name);
const approval = (over: Partial<ApprovalView> = {}): ApprovalView => ({
  signerName: "Pat",
  decision: "approved",
  void: false,
  superseded: false,
  ...over,
});

describe("gates", () => {
  it("soak: green once the minimum time has passed, with elapsed and required time in words", () => {
    expect(gate(base(), "soak")).toEqual({ name: "soak", ok: true, reason: "soak: 2 h of 1 h" });
    const early = base({
      phaseStartedAt: new Date(now.getTime() - (3 * 3600 + 12 * 60) * 1000),
      phases: [phase({ minSoakSeconds: 86_400 }), phase({ percent: 50 })],
    });
    expect(gate(early, "soak")).toEqual({ name: "soak", ok: false, reason: "soak: 3 h 12 min of 1 d" });
    // No soak required reads as that, not "2 h of 0 s".
    const none = base({ phases: [phase({ minSoakSeconds: 0, name: "10 %" }), phase({ percent: 50 })] });
    expect(gate(none, "soak")).toEqual({ name: "soak", ok: true, reason: "soak: none required (2 h in 10 %)" });
  });

  it("success criteria: too few samples is red (never green), then each criterion decides", () => {
    const phases = [
      phase({ criteria: { minSuccessRate: 0.99, maxErrorRate: 0.01, maxP95Ms: 250, minSamples: 1000, windowSeconds: 300 } }),
      phase({ percent: 50 }),
    ];
    const few = base({ phases, metrics: { requests: 999, errors: 0, p95Ms: 10 } });
    for (const name of ["samples", "success rate", "error rate", "latency"]) expect(gate(few, name)?.ok).toBe(false);
    expect(gate(few, "samples")?.reason).toBe("999 requests in the last 5 min, fewer than the 1,000 needed to judge");

    const good = base({ phases, metrics: { requests: 12_400, errors: 50, p95Ms: 200 } });
    expect(gate(good, "error rate")).toEqual({
      name: "error rate",
      ok: true,
      reason: "error rate 0.4 % ≤ 1 % over 5 min, 12,400 requests",
    });
    expect(gate(good, "success rate")?.ok).toBe(true);
    expect(gate(good, "latency")).toEqual({ name: "latency", ok: true, reason: "p95 ≤ 200 ms ≤ 250 ms over 5 min, 12,400 requests" });

    const bad = base({ phases, metrics: { requests: 12_400, errors: 500, p95Ms: 300 } });
    expect(gate(bad, "error rate")?.ok).toBe(false);
    expect(gate(bad, "success rate")?.ok).toBe(false);
    expect(gate(bad, "latency")?.ok).toBe(false);
  });

  it("success criteria: green only if green without each reporting token too, so no single token decides", () => {
    const phases = [
      phase({ criteria: { minSuccessRate: 0.9, maxErrorRate: 0.05, maxP95Ms: 250, minSamples: 100 } }),
      phase({ percent: 50 }),
    ];
    // Two real services at 50 % errors and one that reports a huge, faithful-looking, error-free `on`.
    const metrics = {
      requests: 100_400,
      errors: 200,
      p95Ms: 50,
      withoutEach: [
        { label: "forger (rg_sdk_ff…)", requests: 400, errors: 200, p95Ms: 1000 },
        { label: "checkout (rg_sdk_aa…)", requests: 100_200, errors: 100, p95Ms: 50 },
        { label: "search (rg_sdk_bb…)", requests: 100_200, errors: 100, p95Ms: 50 },
      ],
    };
    const g = base({ phases, metrics });
    expect(gate(g, "error rate")).toEqual({
      name: "error rate",
      ok: false,
      reason: "error rate 0.2 % ≤ 5 % over 1 h, 100,400 requests, but 50 % > 5 % without forger (rg_sdk_ff…)'s reports (400 requests)",
    });
    expect(gate(g, "success rate")).toMatchObject({ ok: false, reason: expect.stringMatching(/, but 50 % < 90 % without forger/) });
    expect(gate(g, "latency")).toMatchObject({ ok: false, reason: expect.stringMatching(/, but p95 ≤ 1,000 ms > 250 ms without forger/) });
    // A token whose absence leaves too few requests to judge does not decide (the main source of a small service).
    const small = { ...metrics, withoutEach: [{ label: "tiny", requests: 99, errors: 99, p95Ms: 1000 }] };
    expect(gate(base({ phases, metrics: small }), "error rate")?.ok).toBe(true);
    // Every token agreeing: green.
    const agreeing = { ...metrics, withoutEach: metrics.withoutEach.slice(1) };
    expect(gate(base({ phases, metrics: agreeing }), "error rate")).toEqual({
      name: "error rate",
      ok: true,
      reason: "error rate 0.2 % ≤ 5 % over 1 h, 100,400 requests",
    });
  });

  it("no criteria on the phase: no metric gates at all", () => {
    expect(evaluateGates(base()).map((g) => g.name)).toEqual(["soak", "approvals", "incidents"]);
  });

  it("approvals: counts live approved/conditional forms; void and superseded do not count; a live rejection blocks", () => {
    const phases = [phase(), phase({ percent: 50, requiredApprovals: 2 })];
    expect(gate(base({ phases }), "approvals")).toEqual({ name: "approvals", ok: false, reason: "needs 2 approvals, has 0" });
    expect(gate(base({ phases, approvals: [approval(), approval({ signerName: "Sam", decision: "conditional" })] }), "approvals")?.ok).toBe(
      true,
    );
    expect(gate(base({ phases, approvals: [approval(), approval({ signerName: "Sam", void: true })] }), "approvals")).toEqual({
      name: "approvals",
      ok: false,
      reason: "needs 2 approvals, has 1 (Pat); 1 void after a plan change",
    });
    expect(gate(base({ phases, approvals: [approval(), approval({ signerName: "Sam", superseded: true })] }), "approvals")?.ok).toBe(false);
    const rejected = gate(
      base({
        phases,
        approvals: [
          approval(),
          approval({ signerName: "Sam" }),
          approval({ signerName: "Lee", decision: "rejected", reason: "no rollback plan" }),
        ],
      }),
      "approvals",
    );
    expect(rejected).toEqual({ name: "approvals", ok: false, reason: "rejected by Lee: no rollback plan (change the plan to ask again)" });
    expect(gate(base(), "approvals")).toEqual({ name: "approvals", ok: true, reason: "no approval required" });
  });

  it("checklist: every item of the next phase ticked", () => {
    const phases = [phase(), phase({ percent: 50, checklist: ["backup verified", "rollback tested"] })];
    expect(gate(base({ phases }), "checklist")).toEqual({
      name: "checklist",
      ok: false,
      reason: "checklist: 2 of 2 open (backup verified, rollback tested)",
    });
    expect(gate(base({ phases, ticked: new Set(["backup verified", "rollback tested"]) }), "checklist")).toEqual({
      name: "checklist",
      ok: true,
      reason: "checklist: all 2 done",
    });
  });

  it("incidents: any open incident is red", () => {
    expect(gate(base({ openIncidents: 1 }), "incidents")).toEqual({ name: "incidents", ok: false, reason: "1 open incident" });
    expect(gate(base(), "incidents")?.ok).toBe(true);
  });

  it("schedule: the next phase's earliest start", () => {
    const phases = [phase(), phase({ percent: 50, notBefore: new Date(now.getTime() + 5400_000) })];
    expect(gate(base({ phases }), "schedule")).toMatchObject({ ok: false, reason: "not before 2026-11-23T13:30:00.000Z (in 1 h 30 min)" });
    expect(gate(base({ phases, now: new Date(now.getTime() + 6000_000) }), "schedule")?.ok).toBe(true);
  });

  it("evidence: a split phase with criteria needs the data to have caught a 2× error ratio, at a floor rate from the criteria", () => {
    const phases = [phase({ criteria: { minSuccessRate: 0.99, maxErrorRate: 0.01 } }), phase({ percent: 50 })];
    // α = 0.03 at s = 0.1: 267 events; at the floor (1 % / 2 = 0.5 %) they come with 267/(0.005·1.1) = 48,546 requests.
    expect(gate(base({ phases }), "evidence")).toEqual({
      name: "evidence",
      ok: false,
      reason: "change vs control: needs about 48,546 more requests (267 more errors) to catch a 2× ratio in errors",
    });
    const some = { onRequests: 1_000, offRequests: 9_000, events: 20, alarm: null };
    expect(gate(base({ phases, evidence: some }), "evidence")?.reason).toBe(
      "change vs control: needs about 38,546 more requests (247 more errors) to catch a 2× ratio in errors",
    );
    const quiet = { onRequests: 5_000, offRequests: 45_000, events: 100, alarm: null };
    expect(gate(base({ phases, evidence: quiet }), "evidence")).toEqual({
      name: "evidence",
      ok: true,
      reason:
        "change vs control: enough data: 50,000 requests would have caught a 2× rise from 0.5 % errors (a doubling from it breaches the 1 % error criterion); 100 errors so far",
    });
    const busy = { onRequests: 2_000, offRequests: 18_000, events: 300, alarm: null };
    expect(gate(base({ phases, evidence: busy }), "evidence")).toMatchObject({
      ok: true,
      reason: "change vs control: enough data: 300 of 267 errors needed to catch a 2× ratio in errors",
    });
    const alarm = "errors: on 1.5 % (30 of 2,000), off 0.5 % …, evidence 42 ≥ 33.3 → roll back";
    expect(gate(base({ phases, evidence: { ...busy, alarm } }), "evidence")).toEqual({
      name: "evidence",
      ok: false,
      reason: `change vs control: ${alarm}`,
    });
  });

  it("evidence: no gate without a control arm (internal, 100 %) or without criteria", () => {
    const criteria = { maxErrorRate: 0.01 };
    for (const percent of [0, 100]) {
      expect(gate(base({ phases: [phase({ percent, criteria }), phase({ percent: 100 })] }), "evidence")).toBeUndefined();
    }
    expect(gate(base(), "evidence")).toBeUndefined();
    // Latency alone: the floor is half the default 1 % error budget.
    const latencyOnly = base({ phases: [phase({ percent: 50, criteria: { maxP95Ms: 300 } }), phase({ percent: 100 })] });
    expect(gate(latencyOnly, "evidence")?.reason).toMatch(/^change vs control: needs about [\d,]+ more requests \(\d+ more errors\)/);
  });

  it("a paused rollout is red; an ended one has only a status gate; a draft has no soak or criteria", () => {
    expect(gate(base({ status: "paused" }), "status")?.ok).toBe(false);
    expect(evaluateGates(base({ status: "completed" }))).toEqual([{ name: "status", ok: false, reason: "the rollout is completed" }]);
    expect(evaluateGates(base({ status: "draft", currentPhase: -1 })).map((g) => g.name)).toEqual(["approvals", "incidents"]);
  });
});

describe("formatting and histograms", () => {
  it("says every criterion of a phase, the playbook's 50 % phase included", () => {
    const half = templatePlan([], "production")[2]!;
    expect(criteriaInWords(half.criteria, { samples: true })).toBe("success ≥ 97 %, errors ≤ 1 %, p95 ≤ 500 ms, ≥ 5000 requests");
    expect(criteriaInWords(half.criteria)).toBe("success ≥ 97 %, errors ≤ 1 %, p95 ≤ 500 ms");
    expect(criteriaInWords({ minSuccessRate: 0.995 })).toBe("success ≥ 99.5 %");
    expect(criteriaInWords({})).toBeNull();
  });

  it("formats durations in the largest sensible units", () => {
    expect([0, 59, 60, 3600, 3660, 86_400, 90_000].map(formatDuration)).toEqual([
      "0 s",
      "59 s",
      "1 min",
      "1 h",
      "1 h 1 min",
      "1 d",
      "1 d 1 h",
    ]);
  });
  it("reads a quantile's upper bound from histogram slots", () => {
    const slots = Array(20).fill(0);
    expect(quantileUpperBoundMs(slots, 0.95)).toBeNull();
    slots[2] = 95; // ≤ 25 ms
    slots[13] = 5; // ≤ 1000 ms
    expect(quantileUpperBoundMs(slots, 0.95)).toBe(25);
    expect(quantileUpperBoundMs(slots, 0.99)).toBe(1000);
    slots[19] = 100;
    expect(quantileUpperBoundMs(slots, 0.99)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("rolloutOutcome", () => {
  it("names how an ended rollout ended, a rollback before the first phase a discarded draft, and nothing while live", () => {
    expect(rolloutOutcome("completed", 3)).toBe("completed");
    expect(rolloutOutcome("rolled_back", 1)).toBe("rolled_back");
    expect(rolloutOutcome("rolled_back", 0)).toBe("rolled_back");
    expect(rolloutOutcome("rolled_back", -1)).toBe("discarded");
    for (const live of ["draft", "active", "paused"] as const) expect(rolloutOutcome(live, 0)).toBeNull();
  });
});
