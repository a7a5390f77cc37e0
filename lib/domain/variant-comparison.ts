import { ALPHA_ERRORS, ALPHA_LATENCY } from "./guardrail-evidence";
import { quantileUpperBoundMs } from "./latency-buckets";
import { relativeSlowThresholdMs, slowCount } from "./latency-evidence";
import {
  addLlr,
  advanceTrack,
  alwaysValidP,
  enoughToAct,
  mixLogEvidence,
  splitLlr,
  stratifiedRateRatio,
  temperFor,
  type EvidenceTrack,
  type MinuteCounts,
} from "./split-evidence";

/**
 * Each variant of a multivariate flag against a control variant (issue 25): the same always-valid
 * error test the on/off guardrails use (split-evidence.ts), with the variant as treatment and the
 * control variant as control, stratified by minute, so traffic that moves both (the weather) moves no
 * evidence and weights changed mid-way bias nothing. With k variants compared, each test runs at α/k
 * (Bonferroni over e-values: the chance that any of them ever alarms by luck stays ≤ α).
 *
 * Errors are counted as reported (per request), not as distinct erroring subjects as the on/off test
 * does; the dispersion factor φ̂ (temperFor) widens the test when one subject's errors cluster.
 */

/** One minute of one variant, summed over tokens and phases. */
export interface VariantMinute {
  /** Start of the minute, epoch ms. */
  minute: number;
  name: string;
  requests: number;
  errors: number;
  latencySumMs: number;
  slots: readonly number[];
}

export interface VariantVsControl {
  /** Error rate minus control's over the minutes both had traffic (percentage points as a fraction). */
  errorRateDelta: number | null;
  /** Error rate ratio to control, stratified by minute (Mantel–Haenszel); null without control errors. */
  ratio: number | null;
  /** Running maximum of the e-value over the minutes so far, compared with k/α. */
  evidence: number;
  /** Always-valid p-value 1/max E, compare with α/k. */
  p: number;
  /** worse: the variant errs more than control, at level α/k; clear: judged, not worse; insufficient: too few errors or requests to judge. */
  verdict: "worse" | "clear" | "insufficient";
  explanation: string;
  /** The same test on slow requests (latency-evidence.ts); null before control has a latency baseline. */
  latency?: VariantLatencyVsControl | null;
}

/**
 * Latency against control: a request is slow above T, the histogram edge nearest control's p95 over
 * the first 15 minutes control had traffic (frozen there: choosing T from the minutes under test would
 * bias it). Slow counts after those minutes go through the same e-process as errors, at α_L/k.
 */
export interface VariantLatencyVsControl {
  thresholdMs: number;
  slowRate: number | null;
  controlSlowRate: number | null;
  ratio: number | null;
  evidence: number;
  p: number;
  verdict: "worse" | "clear" | "insufficient";
  explanation: string;
}

/** Minutes of control traffic that set the latency threshold; only later minutes are tested. */
export const LATENCY_BASELINE_MINUTES = 15;

export interface VariantSummary {
  name: string;
  requests: number;
  errors: number;
  errorRate: number | null;
  meanLatencyMs: number | null;
  /** Upper bound of the p95 (histogram edge); null without requests or above 10 s. */
  p95Ms: number | null;
  /** null for the control variant itself, or when there is no control. */
  vsControl: VariantVsControl | null;
}

export interface VariantPoint {
  /** Bucket start, epoch ms. */
  t: number;
  name: string;
  requests: number;
  errorRate: number | null;
  p95Ms: number | null;
}

export interface VariantComparison {
  control: string | null;
  /** The family-wise α; each comparison runs at alpha / compared. */
  alpha: number;
  compared: number;
  variants: VariantSummary[];
  series: VariantPoint[];
}

/**
 * Summaries per variant (control first, then by name), each non-control variant judged against
 * `control`, and a series per variant in buckets of `bucketMs` (epoch-aligned).
 */
export function compareVariants(
  rows: readonly VariantMinute[],
  control: string | null,
  bucketMs = 300_000,
  alpha = ALPHA_ERRORS,
): VariantComparison {
  const names = [...new Set(rows.map((r) => r.name))].sort((a, b) => (a === control ? -1 : b === control ? 1 : a.localeCompare(b)));
  const hasControl = control !== null && names.includes(control);
  const others = hasControl ? names.filter((n) => n !== control) : [];
  const eachAlpha = alpha / Math.max(1, others.length);
  const eachLatencyAlpha = ALPHA_LATENCY / Math.max(1, others.length);
  const byMinute = new Map<number, Map<string, VariantMinute>>();
  for (const r of rows) {
    const m = byMinute.get(r.minute) ?? new Map<string, VariantMinute>();
    m.set(r.name, r);
    byMinute.set(r.minute, m);
  }
  const minutes = [...byMinute.keys()].sort((a, b) => a - b);
  const variants = names.map((name): VariantSummary => {
    const own = rows.filter((r) => r.name === name);
    const requests = sum(own, (r) => r.requests);
    const errors = sum(own, (r) => r.errors);
    const slots = own.reduce((acc, r) => acc.map((n, i) => n + (r.slots[i] ?? 0)), new Array<number>(own[0]?.slots.length ?? 0).fill(0));
    return {
      name,
      requests,
      errors,
      errorRate: requests > 0 ? errors / requests : null,
      meanLatencyMs: requests > 0 ? sum(own, (r) => r.latencySumMs) / requests : null,
      p95Ms: p95Of(slots),
      vsControl:
        hasControl && name !== control
          ? {
              ...judgeVariant(name, control, minutesOf(byMinute, minutes, name, control), eachAlpha).vs,
              latency: judgeVariantLatency(name, control, latencyMinutesAgainst(rows, name, control), eachLatencyAlpha).vs,
            }
          : null,
    };
  });
  return { control: hasControl ? control : null, alpha, compared: others.length, variants, series: seriesOf(rows, bucketMs) };
}

/** Minute counts of `name` (treatment) against `control`, in minute order, from per-variant minutes. */
export function minutesAgainst(rows: readonly VariantMinute[], name: string, control: string): MinuteCounts[] {
  const byMinute = new Map<number, Map<string, VariantMinute>>();
  for (const r of rows) {
    const m = byMinute.get(r.minute) ?? new Map<string, VariantMinute>();
    m.set(r.name, r);
    byMinute.set(r.minute, m);
  }
  return minutesOf(
    byMinute,
    [...byMinute.keys()].sort((a, b) => a - b),
    name,
    control,
  );
}

function minutesOf(byMinute: Map<number, Map<string, VariantMinute>>, minutes: number[], name: string, control: string): MinuteCounts[] {
  return minutes.map((m) => {
    const t = byMinute.get(m)!.get(name);
    const c = byMinute.get(m)!.get(control);
    return { nT: t?.requests ?? 0, eT: t?.errors ?? 0, nC: c?.requests ?? 0, eC: c?.errors ?? 0 };
  });
}

/**
 * The e-process minute by minute, keeping its running maximum and sticky alarm as a guardrail's look
 * would; `previous` is the track an earlier look stored (a guardrail's), so neither ever goes back.
 */
export function judgeVariant(
  name: string,
  control: string,
  minutes: readonly MinuteCounts[],
  alpha: number,
  previous: EvidenceTrack | null = null,
): { vs: VariantVsControl; track: EvidenceTrack } {
  const { track, maxLogE, evidence, verdict, rate, controlRate, ratio, bar } = runEvidence(minutes, alpha, previous);
  const arms =
    rate === null || controlRate === null
      ? `${name} and ${control} have not had traffic in the same minutes yet`
      : `${name}: ${pct(rate)} errors, ${control}: ${pct(controlRate)}` + (ratio === null ? "" : `, ${ratio.toFixed(2)}×`);
  const explanation =
    verdict === "worse"
      ? `${arms}; evidence ${figure(evidence)} ≥ ${figure(bar)}: ${name} errs more than ${control}`
      : verdict === "clear"
        ? `${arms}; evidence ${figure(evidence)} < ${figure(bar)}: no sign that ${name} errs more than ${control}`
        : `${arms}; not judged until ${name} has 5 errors and 100 requests beside ${control}`;
  const vs: VariantVsControl = {
    errorRateDelta: rate !== null && controlRate !== null ? rate - controlRate : null,
    ratio,
    evidence,
    p: alwaysValidP(maxLogE),
    verdict,
    explanation,
  };
  return { vs, track };
}

/** The e-process over `minutes` (events are errors or slow requests), from `previous` on. */
function runEvidence(minutes: readonly MinuteCounts[], alpha: number, previous: EvidenceTrack | null) {
  const phi = temperFor(minutes);
  let llr = splitLlr([]);
  let track: EvidenceTrack | null = previous;
  let nT = 0;
  let eT = 0;
  let nC = 0;
  let eC = 0;
  for (const m of minutes) {
    if (m.nT <= 0 || m.nC <= 0) continue;
    llr = addLlr(llr, splitLlr([m]));
    nT += m.nT;
    eT += m.eT;
    nC += m.nC;
    eC += m.eC;
    track = advanceTrack(track, mixLogEvidence(llr, phi), alpha, enoughToAct(eT, nT));
  }
  const maxLogE = track?.maxLogE ?? 0;
  const verdict: VariantVsControl["verdict"] = track?.alarmed ? "worse" : enoughToAct(eT, nT) ? "clear" : "insufficient";
  return {
    track: track ?? { maxLogE: 0, alarmed: false },
    maxLogE,
    evidence: Math.exp(maxLogE),
    verdict,
    rate: nT > 0 ? eT / nT : null,
    controlRate: nC > 0 ? eC / nC : null,
    ratio: stratifiedRateRatio(minutes),
    bar: 1 / alpha,
  };
}

/**
 * Slow counts of `name` against `control` per minute, above the threshold set by control's first
 * LATENCY_BASELINE_MINUTES minutes with traffic; only the minutes after those are tested. A null
 * threshold until control has had that many minutes.
 */
export function latencyMinutesAgainst(
  rows: readonly VariantMinute[],
  name: string,
  control: string,
): { thresholdMs: number | null; minutes: MinuteCounts[] } {
  const controlMinutes = rows.filter((r) => r.name === control && r.requests > 0).sort((a, b) => a.minute - b.minute);
  if (controlMinutes.length < LATENCY_BASELINE_MINUTES) return { thresholdMs: null, minutes: [] };
  const baseline = controlMinutes.slice(0, LATENCY_BASELINE_MINUTES);
  const slots = baseline.reduce((acc, r) => acc.map((n, i) => n + (r.slots[i] ?? 0)), new Array<number>(baseline[0]!.slots.length).fill(0));
  const thresholdMs = relativeSlowThresholdMs(slots);
  if (thresholdMs === null) return { thresholdMs: null, minutes: [] };
  const after = baseline.at(-1)!.minute;
  const byMinute = new Map<number, { t?: VariantMinute; c?: VariantMinute }>();
  for (const r of rows) {
    if (r.minute <= after || (r.name !== name && r.name !== control)) continue;
    const m = byMinute.get(r.minute) ?? {};
    if (r.name === name) m.t = r;
    else m.c = r;
    byMinute.set(r.minute, m);
  }
  const minutes = [...byMinute.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, { t, c }]) => ({
      nT: t?.requests ?? 0,
      eT: t ? slowCount(t.slots, thresholdMs) : 0,
      nC: c?.requests ?? 0,
      eC: c ? slowCount(c.slots, thresholdMs) : 0,
    }));
  return { thresholdMs, minutes };
}

/** The latency test of `name` against `control` (see VariantLatencyVsControl); null without a threshold. */
export function judgeVariantLatency(
  name: string,
  control: string,
  against: { thresholdMs: number | null; minutes: readonly MinuteCounts[] },
  alpha: number,
  previous: EvidenceTrack | null = null,
): { vs: VariantLatencyVsControl | null; track: EvidenceTrack | null } {
  if (against.thresholdMs === null) return { vs: null, track: previous };
  const T = against.thresholdMs;
  const { track, maxLogE, evidence, verdict, rate, controlRate, ratio, bar } = runEvidence(against.minutes, alpha, previous);
  const arms =
    rate === null || controlRate === null
      ? `${name} and ${control} have not had traffic in the same minutes since the latency baseline`
      : `${name}: ${pct(rate)} slower than ${T} ms, ${control}: ${pct(controlRate)}` + (ratio === null ? "" : `, ${ratio.toFixed(2)}×`);
  const explanation =
    verdict === "worse"
      ? `${arms}; evidence ${figure(evidence)} ≥ ${figure(bar)}: ${name} is slower than ${control}`
      : verdict === "clear"
        ? `${arms}; evidence ${figure(evidence)} < ${figure(bar)}: no sign that ${name} is slower than ${control}`
        : `${arms}; not judged until ${name} has 5 requests over ${T} ms and 100 requests beside ${control}`;
  return {
    vs: { thresholdMs: T, slowRate: rate, controlSlowRate: controlRate, ratio, evidence, p: alwaysValidP(maxLogE), verdict, explanation },
    track,
  };
}

function seriesOf(rows: readonly VariantMinute[], bucketMs: number): VariantPoint[] {
  const buckets = new Map<string, { t: number; name: string; requests: number; errors: number; slots: number[] }>();
  for (const r of rows) {
    const t = Math.floor(r.minute / bucketMs) * bucketMs;
    const key = `${t}\u0000${r.name}`;
    const b = buckets.get(key) ?? { t, name: r.name, requests: 0, errors: 0, slots: new Array<number>(r.slots.length).fill(0) };
    b.requests += r.requests;
    b.errors += r.errors;
    r.slots.forEach((n, i) => (b.slots[i]! += n));
    buckets.set(key, b);
  }
  return [...buckets.values()]
    .sort((a, b) => a.t - b.t || a.name.localeCompare(b.name))
    .map((b) => ({
      t: b.t,
      name: b.name,
      requests: b.requests,
      errorRate: b.requests > 0 ? b.errors / b.requests : null,
      p95Ms: p95Of(b.slots),
    }));
}

/** The p95's upper bound; null without requests, or when it lies above the top edge (10 s): the requests tell which. */
function p95Of(slots: readonly number[]): number | null {
  const q = quantileUpperBoundMs(slots, 0.95);
  return q !== null && Number.isFinite(q) ? q : null;
}

const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((a, x) => a + f(x), 0);
const pct = (x: number) => `${(x * 100).toFixed(x < 0.01 ? 2 : 1)} %`;
const figure = (x: number) => (x >= 1e6 ? x.toExponential(1) : x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(1));

/** Variant names of a targeting document: the flag's own, then each strategy's, first seen first. */
export function configuredVariants(targeting: unknown): string[] {
  const t = targeting as { variants?: { name?: unknown }[]; strategies?: { variants?: { name?: unknown }[] }[] } | null;
  const names = [...(t?.variants ?? []), ...(t?.strategies ?? []).flatMap((s) => s.variants ?? [])].map((v) => v.name);
  return [...new Set(names.filter((n): n is string => typeof n === "string"))];
}
