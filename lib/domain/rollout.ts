import { timeConditionsUnmet, type ApprovalConditions } from "./approval-conditions";
/**
 * The rollout workflow as pure functions: the status machine, plan validation, and the gates that
 * decide whether the next phase may start. No I/O: services feed in what they read and write back
 * what these return, so every rule is unit-testable.
 */

import { exposureForPromotion, PROMOTION_RATIO } from "./evidence-exposure";
import { ALPHA_ERRORS } from "./guardrail-evidence";

export const ROLLOUT_STATUSES = ["draft", "active", "paused", "rolled_back", "completed"] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];
export const LIVE_STATUSES: readonly RolloutStatus[] = ["draft", "active", "paused"];

/** How an ended rollout ended: rolled back before its first phase started, it was a discarded draft. */
export type RolloutOutcome = "completed" | "rolled_back" | "discarded";

/** The outcome of a rollout in `status` at `currentPhase`, null while it is live. */
export function rolloutOutcome(status: RolloutStatus, currentPhase: number): RolloutOutcome | null {
  if (status === "completed") return "completed";
  if (status === "rolled_back") return currentPhase < 0 ? "discarded" : "rolled_back";
  return null;
}

export interface SuccessCriteria {
  /** 0–1: share of requests that succeeded, at least. */
  minSuccessRate?: number;
  /** 0–1: share of requests that failed, at most. */
  maxErrorRate?: number;
  maxP95Ms?: number;
  /** Fewer requests than this in the window is a red gate, never a green one. */
  minSamples?: number;
  windowSeconds?: number;
}

export interface PhasePlan {
  name: string;
  /** Share of all subjects served `on`; 0 for an audience-only ("internal") phase. */
  percent: number;
  minSoakSeconds: number;
  criteria: SuccessCriteria;
  requiredApprovals: number;
  checklist: string[];
  /** Targeting keys served `on` regardless of percent (the internal phase's audience). */
  allowlist: string[];
  /**
   * Segment ids served `on` regardless of percent ("Staff": email ends with @acme.com), the internal
   * phase's audience when it is described rather than listed. Absent: none.
   */
  segments?: number[];
  /** The phase may not start before this time. */
  notBefore?: Date | null;
}

export const DEFAULT_WINDOW_SECONDS = 3600;
export const DEFAULT_MIN_SAMPLES = 100;

// ---------------------------------------------------------------------------------------------
// Status machine

export type RolloutAction = "advance" | "pause" | "resume" | "rollback" | "edit";

export type Transition = { ok: true; status: RolloutStatus; phase: number } | { ok: false; reason: string };

/**
 * draft → active → paused ↔ active → completed | rolled_back. Advancing from draft starts phase 0;
 * advancing from the last phase completes the rollout.
 */
export function transition(status: RolloutStatus, currentPhase: number, phaseCount: number, action: RolloutAction): Transition {
  const ended = status === "completed" || status === "rolled_back";
  if (ended) return { ok: false, reason: `the rollout is ${status === "completed" ? "completed" : "rolled back"}` };
  switch (action) {
    case "advance":
      if (status === "paused") return { ok: false, reason: "the rollout is paused; resume it first" };
      if (currentPhase + 1 >= phaseCount) return { ok: true, status: "completed", phase: currentPhase };
      return { ok: true, status: "active", phase: currentPhase + 1 };
    case "pause":
      if (status !== "active") return { ok: false, reason: "only an active rollout can be paused" };
      return { ok: true, status: "paused", phase: currentPhase };
    case "resume":
      if (status !== "paused") return { ok: false, reason: "only a paused rollout can be resumed" };
      return { ok: true, status: "active", phase: currentPhase };
    case "rollback":
      return { ok: true, status: "rolled_back", phase: currentPhase };
    case "edit":
      return { ok: true, status, phase: currentPhase };
  }
}

// ---------------------------------------------------------------------------------------------
// Plan validation

/** Field errors (`phases.2.percent` → message) for a plan, empty when it is valid. */
export function planProblems(phases: readonly PhasePlan[]): Record<string, string> {
  const problems: Record<string, string> = {};
  if (phases.length === 0) problems.phases = "add at least one phase";
  let previous = -1;
  phases.forEach((phase, i) => {
    if (!Number.isInteger(phase.percent) || phase.percent < 0 || phase.percent > 100) {
      problems[`phases.${i}.percent`] = "must be a whole number from 0 to 100";
    } else if (phase.percent === 0 && phase.allowlist.length === 0 && !phase.segments?.length) {
      problems[`phases.${i}.percent`] = "a 0 % phase serves only its audience: add a segment or targeting keys";
    } else if (phase.percent === 0 && i > 0) {
      problems[`phases.${i}.percent`] = "only the first phase may serve its audience alone (0 %)";
    } else if (phase.percent <= previous) {
      problems[`phases.${i}.percent`] = `must be more than the previous phase's ${previous} %`;
    }
    if (Number.isInteger(phase.percent)) previous = Math.max(previous, phase.percent);
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Gates

export interface WindowMetrics {
  requests: number;
  errors: number;
  /** Upper bound of the 95th percentile latency, or null without samples. */
  p95Ms: number | null;
  /**
   * The same window without each reporting SDK token in turn, when two or more reported: a criterion
   * is green only if it is green without any one of them too (where enough requests remain), so no
   * single token's reports can turn real red traffic green.
   */
  withoutEach?: readonly LeftOut[];
}

export interface LeftOut {
  /** The token left out, as people know it: "checkout-api (rg_sdk_ab12…)". */
  label: string;
  requests: number;
  errors: number;
  p95Ms: number | null;
}

export interface ApprovalView {
  signerName: string;
  decision: "approved" | "conditional" | "rejected";
  reason?: string | null;
  /** A conditional approval's conditions, and those of them that are a time (approval-conditions.ts). */
  conditions?: string | null;
  notBefore?: Date | null;
  officeHoursTimeZone?: string | null;
  /** Signed on an older plan version: no longer counts. */
  void: boolean;
  superseded: boolean;
}

/** Every gate a step can be held by, in no particular order. */
export const GATE_NAMES = [
  "soak",
  "success rate",
  "error rate",
  "latency",
  "samples",
  "approvals",
  "checklist",
  "incidents",
  "schedule",
  // A conditional approval's conditions: shown at Advance; a time among them holds the phase.
  "conditions",
  // The plan requires the flag's results in the environment before this one (`requireEarlier`).
  "earlier environment",
  "status",
  // A token's reports held out of the metric gates (lib/domain/token-agreement.ts).
  "telemetry",
  // The change against its control: enough data to have caught a regression, and no alarm.
  "evidence",
] as const;
export type GateName = (typeof GATE_NAMES)[number];

export interface Gate {
  name: GateName;
  ok: boolean;
  reason: string;
}

/**
 * Of the gates a signer was shown passing, those that fail now, each with why (a name that several
 * gates share fails when any of them does): what a form signed on an earlier look would hide.
 */
export function gatesFailingSince(shownPassing: readonly GateName[], gates: readonly Gate[]): Gate[] {
  const shown = new Set(shownPassing);
  return gates.filter((g) => !g.ok && shown.has(g.name));
}

/** The names of the gates that pass, each once: a name that several gates share passes only when all do. */
export function passingGateNames(gates: readonly Gate[]): GateName[] {
  const failing = new Set(gates.filter((g) => !g.ok).map((g) => g.name));
  return [...new Set(gates.map((g) => g.name))].filter((name) => !failing.has(name));
}

export interface GateInput {
  status: RolloutStatus;
  phases: readonly PhasePlan[];
  currentPhase: number;
  phaseStartedAt: Date | null;
  now: Date;
  /** Metrics of the current phase's window (ignored before the first phase). */
  metrics: WindowMetrics;
  /** Every form signed for the next phase (void and superseded included; they do not count). */
  approvals: readonly ApprovalView[];
  /** Checklist items of the next phase that have been ticked. */
  ticked: ReadonlySet<string>;
  openIncidents: number;
  /** The current phase's change vs control, for a phase that splits traffic (null: no split traffic yet). */
  evidence?: PromotionEvidence | null;
  /** What the plan requires of the environment before this one, and what happened there. */
  earlier?: EarlierRequirement | null;
}

/** The seeds' production checklist: the environment before "completed, ≥ N h at 100 %, no incident". */
export interface EarlierRequirement {
  hoursAtFull: number;
  /** The environment just before this one (null: there is none). */
  environment: string | null;
  /** The flag's latest rollout there (null: none). */
  rollout: { status: string; secondsAtFull: number | null; incidents: number } | null;
}

/** What the promotion gate reads of the comparison with control (research §7.4 rule 3). */
export interface PromotionEvidence {
  /** SPLIT requests of each arm since the comparison began (the rollout's start), held-out tokens left out. */
  onRequests: number;
  offRequests: number;
  /** Erroring subjects of both arms over the same traffic: the error test's events. */
  events: number;
  /** A comparative alarm in words (a guardrail's sticky verdict), or null. */
  alarm: string | null;
}

const pct = (x: number) => {
  const v = x * 100;
  return `${(v >= 1 || v === 0 ? v.toFixed(1) : v.toFixed(2)).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "")} %`;
};
const count = (n: number) => n.toLocaleString("en-US");

/**
 * A phase's success criteria in words, as the plan, the approval form and the new-rollout preview show
 * them: "success ≥ 95 %, errors ≤ 1 %, p95 ≤ 500 ms" and, with `samples`, "≥ 1,000 requests". Null
 * when there are none.
 */
export function criteriaInWords(c: SuccessCriteria, options: { samples?: boolean } = {}): string | null {
  const parts = [
    c.minSuccessRate !== undefined ? `success ≥ ${+(c.minSuccessRate * 100).toFixed(2)} %` : null,
    c.maxErrorRate !== undefined ? `errors ≤ ${+(c.maxErrorRate * 100).toFixed(2)} %` : null,
    c.maxP95Ms !== undefined ? `p95 ≤ ${c.maxP95Ms} ms` : null,
    options.samples && c.minSamples !== undefined ? `≥ ${c.minSamples} requests` : null,
  ].filter((p): p is string => p !== null);
  return parts.length ? parts.join(", ") : null;
}

export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

/**
 * The gates for moving from the current phase to the next (docs/API.md): the current phase's soak
 * time and success criteria, the next phase's approvals, checklist and earliest start, and no open
 * incident. Each says in a sentence why it is green or red.
 */
export function evaluateGates(input: GateInput): Gate[] {
  const gates: Gate[] = [];
  if (input.status === "completed" || input.status === "rolled_back") {
    return [{ name: "status", ok: false, reason: `the rollout is ${input.status === "completed" ? "completed" : "rolled back"}` }];
  }
  if (input.status === "paused") gates.push({ name: "status", ok: false, reason: "paused: resume before advancing" });
  const current = input.currentPhase >= 0 ? input.phases[input.currentPhase] : undefined;
  const next = input.phases[input.currentPhase + 1];

  if (current) {
    const elapsed = input.phaseStartedAt ? (input.now.getTime() - input.phaseStartedAt.getTime()) / 1000 : 0;
    gates.push({
      name: "soak",
      ok: elapsed >= current.minSoakSeconds,
      reason:
        current.minSoakSeconds === 0
          ? `soak: none required (${formatDuration(elapsed)} in ${current.name})`
          : `soak: ${formatDuration(elapsed)} of ${formatDuration(current.minSoakSeconds)}`,
    });
    gates.push(...criteriaGates(current.criteria, input.metrics));
    const evidence = evidenceGate(current, input.evidence ?? null);
    if (evidence) gates.push(evidence);
  }

  if (next) {
    gates.push(approvalGate(next.requiredApprovals, input.approvals));
    const conditions = conditionsGate(input.approvals, input.now);
    if (conditions) gates.push(conditions);
    const missing = next.checklist.filter((item) => !input.ticked.has(item));
    if (next.checklist.length > 0) {
      gates.push({
        name: "checklist",
        ok: missing.length === 0,
        reason:
          missing.length === 0
            ? `checklist: all ${next.checklist.length} done`
            : `checklist: ${missing.length} of ${next.checklist.length} open (${missing.join(", ")})`,
      });
    }
    if (next.notBefore) {
      const ok = input.now.getTime() >= next.notBefore.getTime();
      gates.push({
        name: "schedule",
        ok,
        reason: ok
          ? `scheduled for ${next.notBefore.toISOString()}: reached`
          : `not before ${next.notBefore.toISOString()} (in ${formatDuration((next.notBefore.getTime() - input.now.getTime()) / 1000)})`,
      });
    }
  }
  if (input.earlier && next) gates.push(earlierGate(input.earlier));
  gates.push({
    name: "incidents",
    ok: input.openIncidents === 0,
    reason: input.openIncidents === 0 ? "no open incident" : `${input.openIncidents} open incident${input.openIncidents > 1 ? "s" : ""}`,
  });
  return gates;
}

function criteriaGates(criteria: SuccessCriteria, m: WindowMetrics): Gate[] {
  const window = formatDuration(criteria.windowSeconds ?? DEFAULT_WINDOW_SECONDS);
  if (!hasCriteria(criteria)) return [];
  const minSamples = criteria.minSamples ?? DEFAULT_MIN_SAMPLES;
  const gates: Gate[] = [];
  const enough = m.requests >= minSamples;
  gates.push({
    name: "samples",
    ok: enough,
    reason: `${count(m.requests)} request${m.requests === 1 ? "" : "s"} in the last ${window}${enough ? "" : `, fewer than the ${count(minSamples)} needed to judge`}`,
  });
  const over = `over ${window}, ${count(m.requests)} requests`;
  // Judged again without each token that could be deciding it (enough requests remain without it).
  const others = (m.withoutEach ?? []).filter((w) => w.requests >= minSamples);
  const errorRate = (x: { requests: number; errors: number }) => (x.requests > 0 ? x.errors / x.requests : 0);
  /** The first token without which the criterion is red, in words; null when none decides it. */
  const decidedBy = (ok: (x: LeftOut) => boolean, figure: (x: LeftOut) => string) => {
    const w = others.find((x) => !ok(x));
    return w ? `, but ${figure(w)} without ${w.label}'s reports (${count(w.requests)} requests)` : null;
  };
  if (criteria.minSuccessRate !== undefined) {
    const min = criteria.minSuccessRate;
    const pass = (x: { requests: number; errors: number }) => 1 - errorRate(x) >= min;
    const but = enough && pass(m) ? decidedBy(pass, (x) => `${pct(1 - errorRate(x))} < ${pct(min)}`) : null;
    const ok = enough && pass(m) && but === null;
    gates.push({
      name: "success rate",
      ok,
      reason: enough
        ? `success rate ${pct(1 - errorRate(m))} ${pass(m) ? "≥" : "<"} ${pct(min)} ${over}${but ?? ""}`
        : `success rate: not enough requests to judge (${count(m.requests)} of ${count(minSamples)})`,
    });
  }
  if (criteria.maxErrorRate !== undefined) {
    const max = criteria.maxErrorRate;
    const pass = (x: { requests: number; errors: number }) => errorRate(x) <= max;
    const but = enough && pass(m) ? decidedBy(pass, (x) => `${pct(errorRate(x))} > ${pct(max)}`) : null;
    const ok = enough && pass(m) && but === null;
    gates.push({
      name: "error rate",
      ok,
      reason: enough
        ? `error rate ${pct(errorRate(m))} ${pass(m) ? "≤" : ">"} ${pct(max)} ${over}${but ?? ""}`
        : `error rate: not enough requests to judge (${count(m.requests)} of ${count(minSamples)})`,
    });
  }
  if (criteria.maxP95Ms !== undefined) {
    const max = criteria.maxP95Ms;
    const pass = (x: { p95Ms: number | null }) => x.p95Ms !== null && x.p95Ms <= max;
    const but = enough && pass(m) ? decidedBy(pass, (x) => `p95 ≤ ${count(x.p95Ms ?? 0)} ms > ${count(max)} ms`) : null;
    const ok = enough && pass(m) && but === null;
    gates.push({
      name: "latency",
      ok,
      reason:
        enough && m.p95Ms !== null
          ? `p95 ≤ ${count(m.p95Ms)} ms ${pass(m) ? "≤" : ">"} ${count(max)} ms ${over}${but ?? ""}`
          : `p95 latency: not enough requests to judge (${count(m.requests)} of ${count(minSamples)})`,
    });
  }
  return gates;
}

const hasCriteria = (c: SuccessCriteria) => c.minSuccessRate !== undefined || c.maxErrorRate !== undefined || c.maxP95Ms !== undefined;

/**
 * In a phase that serves both arms by percentage and has success criteria, promotion also needs the
 * comparison with control to have had its chance: no alarm, and enough data that the error test
 * would have caught `on` erring twice as often as `off` with about 80 % probability (research §7.4
 * rule 3). A phase judged on absolute numbers alone would promote a change that doubles the errors
 * of a quiet hour. The floor rate keeps a nearly error-free service promotable: the regression that
 * matters is one that would breach the phase's error criterion.
 */
function evidenceGate(phase: PhasePlan, e: PromotionEvidence | null): Gate | null {
  if (!(phase.percent > 0 && phase.percent < 100) || !hasCriteria(phase.criteria)) return null;
  if (e?.alarm) return { name: "evidence", ok: false, reason: `change vs control: ${e.alarm}` };
  const on = e?.onRequests ?? 0;
  const off = e?.offRequests ?? 0;
  const share = on > 0 && off > 0 ? on / (on + off) : phase.percent / 100;
  const c = phase.criteria;
  const budget = Math.min(c.maxErrorRate ?? 1, c.minSuccessRate !== undefined ? 1 - c.minSuccessRate : 1);
  const floor =
    budget > 0 && budget < 1
      ? { rate: budget / PROMOTION_RATIO, label: `a doubling from it breaches the ${pct(budget)} error criterion` }
      : { rate: DEFAULT_ERROR_BUDGET / PROMOTION_RATIO, label: `a doubling from it reaches ${pct(DEFAULT_ERROR_BUDGET)} errors` };
  const exposure = exposureForPromotion({ share, events: e?.events ?? 0, requests: on + off, alpha: ALPHA_ERRORS, floor });
  return { name: "evidence", ok: exposure.met, reason: `change vs control: ${exposure.message}` };
}

/** The error budget the promotion gate plans for when the criteria name none (latency only). */
export const DEFAULT_ERROR_BUDGET = 0.01;

function approvalGate(required: number, approvals: readonly ApprovalView[]): Gate {
  const live = approvals.filter((a) => !a.void && !a.superseded);
  const rejected = live.find((a) => a.decision === "rejected");
  if (rejected) {
    return {
      name: "approvals",
      ok: false,
      reason: `rejected by ${rejected.signerName}: ${rejected.reason ?? "no reason given"} (change the plan to ask again)`,
    };
  }
  const approving = live.filter((a) => a.decision === "approved" || a.decision === "conditional");
  if (required === 0) return { name: "approvals", ok: true, reason: "no approval required" };
  const ok = approving.length >= required;
  const voided = approvals.filter((a) => a.void && !a.superseded).length;
  return {
    name: "approvals",
    ok,
    reason: `needs ${required} approval${required > 1 ? "s" : ""}, has ${approving.length}${approving.length ? ` (${approving.map((a) => a.signerName).join(", ")})` : ""}${voided ? `; ${voided} void after a plan change` : ""}`,
  };
}

function earlierGate(r: EarlierRequirement): Gate {
  const name = "earlier environment" as const;
  const hours = `${r.hoursAtFull} h`;
  if (!r.environment)
    return { name, ok: false, reason: "the plan requires an earlier environment's results, but none comes before this one" };
  const rollout = r.rollout;
  if (!rollout)
    return {
      name,
      ok: false,
      reason: `${r.environment}: no rollout of this flag yet (required: completed, ≥ ${hours} at 100 %, no incident)`,
    };
  const problems: string[] = [];
  if (rollout.status !== "completed") problems.push(`rollout ${rollout.status.replace("_", " ")}, not completed`);
  const atFull = rollout.secondsAtFull ?? 0;
  if (atFull < r.hoursAtFull * 3600) problems.push(`${formatDuration(atFull)} at 100 % of ${hours}`);
  if (rollout.incidents > 0) problems.push(`${rollout.incidents} incident${rollout.incidents > 1 ? "s" : ""}`);
  if (problems.length) return { name, ok: false, reason: `${r.environment}: ${problems.join(", ")}` };
  return { name, ok: true, reason: `${r.environment} completed, ${formatDuration(atFull)} at 100 %, no incident` };
}

/** The live conditional approvals' conditions, when there are any: red while a time among them is not met. */
function conditionsGate(approvals: readonly ApprovalView[], now: Date): Gate | null {
  const conditional = liveConditions(approvals);
  if (conditional.length === 0) return null;
  const unmet = conditional.flatMap((c) => timeConditionsUnmet(c, now).map((u) => `${u} (${c.signerName})`));
  if (unmet.length) return { name: "conditions", ok: false, reason: `approval condition not met: ${unmet.join("; ")}` };
  const quoted = conditional.map((c) => `“${c.conditions}” (${c.signerName})`).join("; ");
  return { name: "conditions", ok: true, reason: `conditions to acknowledge when advancing: ${quoted}` };
}

/** The conditions of the live conditional approvals among `approvals` (those of the next phase). */
export function liveConditions(approvals: readonly ApprovalView[]): ApprovalConditions[] {
  return approvals
    .filter((a) => !a.void && !a.superseded && a.decision === "conditional")
    .map((a) => ({
      signerName: a.signerName,
      conditions: a.conditions ?? "",
      notBefore: a.notBefore ?? null,
      officeHoursTimeZone: a.officeHoursTimeZone ?? null,
    }));
}

export const allGreen = (gates: readonly Gate[]) => gates.every((g) => g.ok);

/**
 * The playbook's soak per phase (internal, 10 %, 50 %, 100 %), in seconds: the seeds' 2–14 days in
 * production, minutes elsewhere, where the point is to exercise the plan, not to wait a fortnight.
 */
export function playbookSoaks(environment: string): [number, number, number, number] {
  return environment === "production" ? [2 * 86_400, 3 * 86_400, 7 * 86_400, 14 * 86_400] : [15 * 60, 30 * 60, 3600, 2 * 3600];
}

/** The rollout playbook of the seeds (internal → 10 % → 50 % → 100 %) as a starting plan. */
export function templatePlan(internalAllowlist: string[], environment = "production", internalSegments: number[] = []): PhasePlan[] {
  const checklist = ["backup verified", "rollback tested", "monitoring in place"];
  const [internal, ten, half, full] = playbookSoaks(environment);
  return [
    {
      name: "Internal",
      percent: 0,
      allowlist: internalAllowlist,
      segments: internalSegments,
      minSoakSeconds: internal,
      criteria: { minSuccessRate: 0.95, maxP95Ms: 500, minSamples: 100, windowSeconds: 3600 },
      requiredApprovals: 1,
      checklist,
    },
    {
      name: "10 %",
      percent: 10,
      allowlist: internalAllowlist,
      segments: internalSegments,
      minSoakSeconds: ten,
      criteria: { minSuccessRate: 0.95, maxErrorRate: 0.01, minSamples: 1000, windowSeconds: 3600 },
      requiredApprovals: 1,
      checklist: [],
    },
    {
      name: "50 %",
      percent: 50,
      allowlist: internalAllowlist,
      segments: internalSegments,
      minSoakSeconds: half,
      criteria: { minSuccessRate: 0.97, maxErrorRate: 0.01, maxP95Ms: 500, minSamples: 5000, windowSeconds: 3600 },
      requiredApprovals: 1,
      checklist: [],
    },
    {
      name: "100 %",
      percent: 100,
      allowlist: [],
      minSoakSeconds: full,
      criteria: { minSuccessRate: 0.99, maxErrorRate: 0.01, maxP95Ms: 500, minSamples: 10000, windowSeconds: 3600 },
      requiredApprovals: 1,
      checklist: [],
    },
  ];
}
