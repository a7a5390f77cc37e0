import { logBeta } from "./log-gamma";
import { estimateSubjects, SKETCH_REGISTERS } from "./subject-sketch";

/**
 * Sample ratio mismatch (research §6): do the distinct subjects split between the arms as configured?
 * A sequential Beta-binomial Bayes factor (Lindon & Malek's Dirichlet test for two arms), valid at
 * every look: with prior Beta(k·q, k·(1−q)) around the configured share q,
 *   ln BF = lnB(a + u_t, b + u_c) − lnB(a, b) − u_t ln q − u_c ln(1 − q)
 * Count distinct subjects that reached the percentage rule, never requests: a few heavy users move
 * the request share without anything being wrong.
 */
export const SRM_ALPHA = 0.001;
/** Prior strength k: the prior is worth k subjects at the configured share. */
export const SRM_PRIOR_STRENGTH = 100;

export function srmLogBayesFactor(subjectsOn: number, subjectsOff: number, expectedOnShare: number, k = SRM_PRIOR_STRENGTH): number {
  const q = expectedOnShare;
  if (!(q > 0 && q < 1)) return 0;
  const a = k * q;
  const b = k * (1 - q);
  return logBeta(a + subjectsOn, b + subjectsOff) - logBeta(a, b) - subjectsOn * Math.log(q) - subjectsOff * Math.log(1 - q);
}

export interface SampleRatioCheck {
  logBF: number;
  /** ln(1/α): 6.91 at α = 0.001. */
  threshold: number;
  alarm: boolean;
  subjectsOn: number;
  subjectsOff: number;
  expectedOnShare: number;
  observedOnShare: number | null;
  /** Says which arm is off by how much, and the evidence. */
  message: string;
}

const n = (x: number) => Math.round(x).toLocaleString("en-US");
const pct = (x: number) => `${(x * 100).toFixed(x * 100 < 10 ? 2 : 1).replace(/\.?0+$/, "")} %`;
const signedPct = (x: number) => `${x >= 0 ? "+" : "−"}${pct(Math.abs(x))}`;

/**
 * How far apart two sketch estimates can drift by chance, as a log odds ratio. Each estimate is off by
 * a relative error of standard deviation σ, so ln(on/off) moves by ε_on − ε_off (sd σ√2) at one look;
 * but the worker looks every few seconds for hours while the sketches' errors wander as subjects
 * arrive, and the largest deviation along the way is what could raise a false hold. In 600 simulated
 * A/A runs of 6 h (256-register sketches, 5 new subjects/s) its 99th percentile was 0.35 and its
 * maximum 0.44 (σ√2 = 0.092), so the margin is 5.5 sd: 0.51.
 */
export function sketchMarginLogOdds(relativeError: number): number {
  return 5.5 * Math.SQRT2 * relativeError;
}

/**
 * The SRM check at one look, with a sentence for the gate, the notification and the incident.
 * `marginLogOdds` is for estimated counts (sketchMarginLogOdds): the observed odds must also be
 * further from the configured ones than the estimates' own error could carry them, or a large
 * enough sample would call every sketch's noise a mismatch.
 */
export function checkSampleRatio(input: {
  subjectsOn: number;
  subjectsOff: number;
  expectedOnShare: number;
  alpha?: number;
  marginLogOdds?: number;
}): SampleRatioCheck {
  const { subjectsOn, subjectsOff, expectedOnShare } = input;
  const threshold = Math.log(1 / (input.alpha ?? SRM_ALPHA));
  const total = subjectsOn + subjectsOff;
  const base = { subjectsOn, subjectsOff, expectedOnShare, threshold };
  if (!(expectedOnShare > 0 && expectedOnShare < 1)) {
    return { ...base, logBF: 0, alarm: false, observedOnShare: null, message: "no sample-ratio check without both arms" };
  }
  if (total === 0) return { ...base, logBF: 0, alarm: false, observedOnShare: null, message: "no subjects yet" };
  const logBF = srmLogBayesFactor(subjectsOn, subjectsOff, expectedOnShare);
  const margin = input.marginLogOdds ?? 0;
  const logOddsOff = Math.abs(Math.log((subjectsOn + 0.5) / (subjectsOff + 0.5)) - Math.log(expectedOnShare / (1 - expectedOnShare)));
  const beyondMargin = logOddsOff > margin;
  const alarm = logBF >= threshold && beyondMargin;
  const observed = subjectsOn / total;
  const expectedOn = total * expectedOnShare;
  const expectedOff = total - expectedOn;
  // Name the arm with the larger relative deviation: at 10 %, 200 extra `on` subjects are +10 % on
  // `on` but only −2 % on `off`, and "on is over-represented" is what an engineer needs to hear.
  const relOn = subjectsOn / expectedOn - 1;
  const relOff = subjectsOff / expectedOff - 1;
  const [arm, got, want, rel] =
    Math.abs(relOn) >= Math.abs(relOff) ? ["on", subjectsOn, expectedOn, relOn] : ["off", subjectsOff, expectedOff, relOff];
  const split = `${arm} has ${n(got)} of ${n(total)} subjects where ${n(want)} are expected (${signedPct(rel)}; on's share ${pct(observed)}, configured ${pct(expectedOnShare)})`;
  const evidence = `ln BF ${logBF.toFixed(1)} ${logBF >= threshold ? "≥" : "<"} ${threshold.toFixed(1)}`;
  return {
    ...base,
    logBF,
    alarm,
    observedOnShare: observed,
    message: alarm
      ? `sample ratio mismatch: ${split}, ${evidence} → hold`
      : logBF >= threshold
        ? `sample ratio within the subject estimates' error: ${split}, ${evidence}, but the odds are off by ×${Math.exp(logOddsOff).toFixed(2)}, within the estimates' ×${Math.exp(margin).toFixed(2)}`
        : `sample ratio as configured: ${split}, ${evidence}`,
  };
}

/** Relative standard error of one subject sketch's estimate (1.04/√m). */
export const SKETCH_RELATIVE_ERROR = 1.04 / Math.sqrt(SKETCH_REGISTERS);

/**
 * The SRM check on subjects counted by sketches (the rollups' `subjects_sketch`, merged per arm): the
 * counts are estimates, so the mismatch must also exceed their error (sketchMarginLogOdds). A null
 * sketch is an arm with no subjects seen.
 */
export function checkSketchedSampleRatio(on: Uint8Array | null, off: Uint8Array | null, expectedOnShare: number): SampleRatioCheck {
  return checkSampleRatio({
    subjectsOn: on ? estimateSubjects(on) : 0,
    subjectsOff: off ? estimateSubjects(off) : 0,
    expectedOnShare,
    marginLogOdds: sketchMarginLogOdds(SKETCH_RELATIVE_ERROR),
  });
}
