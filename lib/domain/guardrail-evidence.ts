import { controlWeather, type ControlWeather } from "./control-weather";
import { deltaBand, type DeltaBand } from "./evidence-band";
import { slowCount, slotTotal } from "./latency-evidence";
import { LATENCY_SLOTS } from "./latency-buckets";
import {
  advanceTrack,
  alwaysValidP,
  enoughToAct,
  MIN_TREATMENT_EVENTS,
  MIN_TREATMENT_REQUESTS,
  mixLogEvidence,
  splitLlr,
  stratifiedRateRatio,
  temperFor,
  usableMinutes,
  type EvidenceTrack,
  type MinuteCounts,
} from "./split-evidence";

/**
 * Comparative guardrails on evidence (issue 23): `on` against concurrent `off` from the per-minute
 * rollups, one e-process per test for the whole rollout (across phases; restart only after a kill
 * and re-enablement). The pieces live in split-evidence.ts (the e-process), latency-evidence.ts (slow
 * counts and thresholds), sample-ratio.ts (SRM), evidence-band.ts (the chart's band) and
 * evidence-exposure.ts (enough data to promote); this file turns rollup rows into their inputs and
 * their outputs into a verdict with its evidence and a sentence.
 *
 * Typical look (every few seconds, including the open minute):
 *   const minutes = errorMinutes(rows);                       // SPLIT rows since the rollout started
 *   const v = judgeEvidence(minutes, { test: "errors", previous: stored });
 *   store(v.track); if (v.verdict === "alarm") rollBack(v.explanation);
 * The SQL twins (rollgate_error_evidence, rollgate_slow_evidence, rollgate_error_dispersion) give the
 * same log E from the same rows.
 */

/** Family-wise α per rollout, Bonferroni across families (§7.4 rule 4): errors roll back, latency pauses. */
export const ALPHA_ERRORS = 0.03;
export const ALPHA_LATENCY = 0.02;
/** Each of the two latency tests (L1 relative, L2 absolute) gets half of α_L. */
export const ALPHA_LATENCY_EACH = ALPHA_LATENCY / 2;

/** A metric_rollups row as the evidence needs it (minute as epoch ms). */
export interface EvidenceRollupRow {
  minute: number;
  phase: number;
  variant: "on" | "off";
  /** Only 'SPLIT' rows (served by the percentage rule) are a randomized comparison; others are ignored. */
  reason: string;
  requests: number;
  errorSubjects: number;
  latencyBuckets: readonly number[];
}

const SPLIT = "SPLIT";

function byMinute(rows: readonly EvidenceRollupRow[], count: (r: EvidenceRollupRow) => { n: number; e: number }): MinuteCounts[] {
  const minutes = new Map<number, MinuteCounts>();
  for (const r of rows) {
    if (r.reason !== SPLIT) continue;
    let m = minutes.get(r.minute);
    if (!m) minutes.set(r.minute, (m = { nT: 0, nC: 0, eT: 0, eC: 0 }));
    const { n, e } = count(r);
    if (r.variant === "on") {
      m.nT += n;
      m.eT += e;
    } else {
      m.nC += n;
      m.eC += e;
    }
  }
  return [...minutes.entries()].sort(([a], [b]) => a - b).map(([, m]) => m);
}

/** Requests and distinct erroring subjects per minute and arm, phases summed (as the SQL twin groups them). */
export function errorMinutes(rows: readonly EvidenceRollupRow[]): MinuteCounts[] {
  return byMinute(rows, (r) => ({ n: r.requests, e: r.errorSubjects }));
}

/** Timed requests and requests slower than the threshold per minute and arm (latency-evidence.ts). */
export function slowMinutes(rows: readonly EvidenceRollupRow[], thresholdMs: number): MinuteCounts[] {
  return byMinute(rows, (r) => ({ n: slotTotal(r.latencyBuckets), e: slowCount(r.latencyBuckets, thresholdMs) }));
}

/** Summed latency slots of one arm's SPLIT rows (e.g. control's histogram to freeze T_rel from). */
export function summedSlots(rows: readonly EvidenceRollupRow[], variant: "on" | "off"): number[] {
  const slots: number[] = new Array<number>(LATENCY_SLOTS).fill(0);
  for (const r of rows) {
    if (r.reason !== SPLIT || r.variant !== variant) continue;
    r.latencyBuckets.forEach((x, i) => (slots[i]! += x));
  }
  return slots;
}

export interface PhaseBand {
  phase: number;
  band: DeltaBand | null;
}

/**
 * The chart's Δ band per phase (never pooled across phases), error subjects per request, or slow
 * requests when `slowerThanMs` is given. `nStarFor(phase)` is the N* fixed when that phase started.
 */
export function phaseBands(
  rows: readonly EvidenceRollupRow[],
  nStarFor: (phase: number) => number,
  options: { alpha?: number; dispersion?: number; slowerThanMs?: number } = {},
): PhaseBand[] {
  const totals = new Map<number, MinuteCounts>();
  for (const r of rows) {
    if (r.reason !== SPLIT) continue;
    let t = totals.get(r.phase);
    if (!t) totals.set(r.phase, (t = { nT: 0, nC: 0, eT: 0, eC: 0 }));
    const slow = options.slowerThanMs;
    const n = slow === undefined ? r.requests : slotTotal(r.latencyBuckets);
    const e = slow === undefined ? r.errorSubjects : slowCount(r.latencyBuckets, slow);
    if (r.variant === "on") {
      t.nT += n;
      t.eT += e;
    } else {
      t.nC += n;
      t.eC += e;
    }
  }
  return [...totals.entries()]
    .sort(([a], [b]) => a - b)
    .map(([phase, t]) => ({ phase, band: deltaBand(t, nStarFor(phase), options.alpha ?? ALPHA_ERRORS, options.dispersion ?? 1) }));
}

export type EvidenceTest = "errors" | "latency_relative" | "latency_absolute";

export interface ArmEvidence {
  requests: number;
  events: number;
  /** events / requests over the minutes judged; null without requests. */
  rate: number | null;
}

export interface EvidenceVerdict {
  test: EvidenceTest;
  /** The slow-request threshold of a latency test; null for errors. */
  thresholdMs: number | null;
  alpha: number;
  /** log E at this look, and the running maximum that decides. */
  logE: number;
  maxLogE: number;
  /** E = exp(maxLogE), compared with 1/α. */
  evidence: number;
  /** Always-valid p-value, 1/max E. */
  p: number;
  /** The dispersion factor the log-LRs were divided by (1 before 10 usable minutes). */
  phi: number;
  /** Minutes in which both arms had traffic. */
  minutes: number;
  on: ArmEvidence;
  off: ArmEvidence;
  /** Rate ratio on/off, stratified by minute (Mantel–Haenszel); null without control events. */
  ratio: number | null;
  /** Pooled rate difference on − off over the minutes judged (the chart's band is per phase: `band`). */
  delta: number | null;
  /** The current phase's band when the caller computed it (phaseBands). */
  band: DeltaBand | null;
  /** `on` has the minimum sample to act on (≥ 5 events and ≥ 100 requests). */
  enoughData: boolean;
  /** alarm (sticky), clear (judged, no alarm) or insufficient (too little data to act, no alarm yet). */
  verdict: "alarm" | "clear" | "insufficient";
  /**
   * What an alarm calls for: roll back (or kill without a rollout) on errors, pause on latency, and
   * pause on errors too while control itself is elevated (`weather`: an incident on both arms).
   */
  action: "rollback" | "pause";
  /** The errors test's look at control against its own earlier minutes (control-weather.ts); null for latency. */
  weather: ControlWeather | null;
  /** Store it and pass it back as `previous` at the next look. */
  track: EvidenceTrack;
  explanation: string;
}

export interface JudgeOptions {
  test: EvidenceTest;
  /** Required for the latency tests. */
  thresholdMs?: number;
  /** ALPHA_ERRORS for errors, ALPHA_LATENCY_EACH for latency by default. */
  alpha?: number;
  /** Tolerated rate ratio (1: any worsening counts). */
  theta0?: number;
  previous?: EvidenceTrack | null;
  /** splitLlr(minutes, theta0) when the caller keeps the closed minutes' sum; computed otherwise. */
  llr?: readonly number[];
  band?: DeltaBand | null;
}

const pct = (x: number) => (x * 100 >= 10 ? `${Math.round(x * 100)} %` : `${Number((x * 100).toPrecision(2))} %`);
const times = (r: number) => (r >= 10 ? `${Math.round(r)}×` : `${Number(r.toPrecision(2))}×`);
const count = (x: number) => x.toLocaleString("en-US");
function evidenceFigure(e: number): string {
  if (e < 10) return Number(e.toFixed(1)).toString();
  if (e < 1e6) return count(Math.round(e));
  return e.toExponential(1);
}

/**
 * One look of one test: evidence over the minutes (SPLIT traffic since the rollout started, phases
 * summed per minute), tempered by φ̂, the sticky alarm, and the sentence that explains it.
 */
export function judgeEvidence(minutes: readonly MinuteCounts[], options: JudgeOptions): EvidenceVerdict {
  const { test } = options;
  const latency = test !== "errors";
  if (latency && options.thresholdMs === undefined) throw new Error(`${test} needs thresholdMs`);
  const alpha = options.alpha ?? (latency ? ALPHA_LATENCY_EACH : ALPHA_ERRORS);
  const phi = temperFor(minutes);
  const logE = mixLogEvidence(options.llr ?? splitLlr(minutes, options.theta0 ?? 1), phi);
  const on: ArmEvidence = { requests: 0, events: 0, rate: null };
  const off: ArmEvidence = { requests: 0, events: 0, rate: null };
  for (const m of minutes) {
    if (m.nT <= 0 || m.nC <= 0) continue;
    on.requests += m.nT;
    on.events += m.eT;
    off.requests += m.nC;
    off.events += m.eC;
  }
  if (on.requests > 0) on.rate = on.events / on.requests;
  if (off.requests > 0) off.rate = off.events / off.requests;
  const enoughData = enoughToAct(on.events, on.requests);
  const track = advanceTrack(options.previous ?? null, logE, alpha, enoughData);
  const verdict = track.alarmed ? "alarm" : enoughData ? "clear" : "insufficient";
  const weather = latency ? null : controlWeather(minutes);
  const action = latency || weather?.elevated ? "pause" : "rollback";
  const ratio = stratifiedRateRatio(minutes);
  const delta = on.rate !== null && off.rate !== null ? on.rate - off.rate : null;
  const thresholdMs = latency ? options.thresholdMs! : null;
  const evidence = Math.exp(track.maxLogE);

  const what = latency ? `over ${count(thresholdMs!)} ms` : "errors";
  const arms =
    on.rate === null || off.rate === null
      ? "no traffic on both arms yet"
      : `on: ${pct(on.rate)} ${what}, off: ${pct(off.rate)}` +
        (ratio === null ? "" : `, ${times(ratio)}${ratio > 1 ? " worse" : ratio < 1 ? " (better)" : ""}`);
  const bar = evidenceFigure(1 / alpha);
  let explanation: string;
  if (verdict === "alarm" && weather?.elevated) {
    explanation =
      `${arms}, evidence ${evidenceFigure(evidence)} ≥ ${bar}, but off is up too ` +
      `(${pct(weather.recentRate!)} in the last minutes against ${pct(weather.baselineRate!)} before): ` +
      `an incident on both arms → pause, not roll back`;
  } else if (verdict === "alarm") {
    explanation = `${arms}, evidence ${evidenceFigure(evidence)} ≥ ${bar} → ${latency ? "pause" : "roll back"}`;
  } else if (verdict === "insufficient") {
    const noun = latency ? "slow requests" : "errors";
    explanation = `${arms}: not judged until on has ${MIN_TREATMENT_EVENTS} ${noun} and ${MIN_TREATMENT_REQUESTS} requests (${count(on.events)} and ${count(on.requests)} so far)`;
  } else {
    explanation = `${arms}, evidence ${evidenceFigure(evidence)} < ${bar} → no action`;
  }

  return {
    test,
    thresholdMs,
    alpha,
    logE,
    maxLogE: track.maxLogE,
    evidence,
    p: alwaysValidP(track.maxLogE),
    phi,
    minutes: usableMinutes(minutes),
    on,
    off,
    ratio,
    delta,
    band: options.band ?? null,
    enoughData,
    verdict,
    action,
    weather,
    track,
    explanation,
  };
}
