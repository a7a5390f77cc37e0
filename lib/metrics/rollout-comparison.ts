import { deltaBand, type DeltaBand } from "../domain/evidence-band";
import {
  ALPHA_ERRORS,
  ALPHA_LATENCY_EACH,
  errorMinutes,
  judgeEvidence,
  phaseBands,
  slowMinutes,
  summedSlots,
  type ArmEvidence,
  type EvidenceRollupRow,
  type EvidenceVerdict,
} from "../domain/guardrail-evidence";
import { relativeSlowThresholdMs } from "../domain/latency-evidence";
import { temperFor } from "../domain/split-evidence";

/**
 * The rollout page's "change vs control" comparison (issue 23), built from the rollout's SPLIT rollup
 * rows since it started: per phase (never pooled, evidence-band.ts) Δ = on − off with its one-sided
 * always-valid lower bound, for errors (distinct erroring subjects per request) and slow requests,
 * and a cumulative series of the error Δ within each phase for the chart. Pure: the rows come from
 * get-rollout-comparison.ts.
 */

const MINUTE_MS = 60_000;
/** N* is the traffic expected over a phase's soak; a phase without a soak is read over an hour. */
const DEFAULT_SOAK_SECONDS = 3600;
/** Minutes before a phase's first one whose traffic rate sets its N*. */
const RATE_MINUTES = 15;
/** Control's histogram over the rollout's first minutes freezes the relative slow threshold (latency-evidence.ts). */
const THRESHOLD_MINUTES = 15;
/** At most this many points per chart: longer rollouts are thinned to every k-th minute (always keeping a phase's last). */
export const MAX_SERIES_POINTS = 480;

export interface PhaseInfo {
  index: number;
  name: string;
  percent: number;
  minSoakSeconds: number;
}

export interface BandSummary {
  on: { requests: number; events: number; rate: number };
  off: { requests: number; events: number; rate: number };
  /** rate(on) − rate(off), a fraction (0.01 = 1 percentage point). */
  delta: number;
  /** Always-valid one-sided lower bound of Δ at α; above 0 means `on` is worse. */
  lower: number;
}

/** One point of a phase's cumulative series: the phase's Δ and lower bound over its minutes up to `t`. */
export interface ComparisonPoint {
  /** Start of the minute, epoch ms. */
  t: number;
  delta: number;
  lower: number;
}

export interface ComparisonPhase {
  phase: number;
  name: string;
  percent: number;
  /** First minute with SPLIT traffic in this phase, epoch ms. */
  startedAt: number;
  /** Expected total requests (both arms) at the phase's soak: the band's N*. */
  nStar: number;
  /** null until both arms had requests in the phase. */
  errors: BandSummary | null;
  /** Slow requests (over `slowThresholdMs`); null without a threshold or timed requests on both arms. */
  slow: BandSummary | null;
  series: ComparisonPoint[];
}

export interface RolloutComparison {
  /** Window: from the rollout's start to now (or its end), epoch ms. */
  from: number;
  to: number;
  alpha: number;
  /** φ̂ the error variances are widened by (1 before 10 usable minutes), as the error test tempers. */
  dispersion: number;
  /** The bucket edge nearest control's p95 over the rollout's first minutes; null without control latency. */
  slowThresholdMs: number | null;
  phases: ComparisonPhase[];
  /** The error test's look over all the SPLIT minutes so far, with its sentence. */
  errors: Pick<EvidenceVerdict, "explanation" | "verdict" | "evidence" | "ratio" | "minutes"> & { on: ArmEvidence; off: ArmEvidence };
}

function summary(band: DeltaBand | null): BandSummary | null {
  if (!band) return null;
  return {
    on: { requests: band.nT, events: band.eT, rate: band.rateT },
    off: { requests: band.nC, events: band.eC, rate: band.rateC },
    delta: band.delta,
    lower: band.lower,
  };
}

/**
 * N* for each phase, fixed when it starts: the SPLIT request rate (both arms; their sum does not
 * depend on the phase's percentage) over the RATE_MINUTES before the phase's first minute, or, for
 * the first phase with traffic, of that first minute, times the phase's soak. The soak is where the
 * gate decides, so the band is tightest where it is read; only data from before the phase is used,
 * so the band of a phase never moves its N* with the data it judges.
 */
export function phaseNStars(rows: readonly EvidenceRollupRow[], phases: readonly PhaseInfo[]): Map<number, number> {
  const perMinute = new Map<number, number>();
  const firstMinute = new Map<number, number>();
  for (const r of rows) {
    perMinute.set(r.minute, (perMinute.get(r.minute) ?? 0) + r.requests);
    firstMinute.set(r.phase, Math.min(firstMinute.get(r.phase) ?? Infinity, r.minute));
  }
  const out = new Map<number, number>();
  for (const [phase, start] of firstMinute) {
    let before = 0;
    let minutes = 0;
    for (let m = start - RATE_MINUTES * MINUTE_MS; m < start; m += MINUTE_MS) {
      const n = perMinute.get(m);
      if (n !== undefined) {
        before += n;
        minutes++;
      }
    }
    const perSecond = minutes > 0 ? before / minutes / 60 : (perMinute.get(start) ?? 0) / 60;
    const soak = phases.find((p) => p.index === phase)?.minSoakSeconds || DEFAULT_SOAK_SECONDS;
    out.set(phase, Math.max(1, perSecond * soak));
  }
  return out;
}

/** Control's SPLIT histogram over the first THRESHOLD_MINUTES of the rollout's traffic, as T_rel is frozen. */
export function frozenSlowThresholdMs(rows: readonly EvidenceRollupRow[]): number | null {
  let first = Infinity;
  for (const r of rows) first = Math.min(first, r.minute);
  return relativeSlowThresholdMs(
    summedSlots(
      rows.filter((r) => r.minute < first + THRESHOLD_MINUTES * MINUTE_MS),
      "off",
    ),
  );
}

/** Each phase's cumulative Δ and lower bound minute by minute, thinned to at most MAX_SERIES_POINTS in all. */
export function phaseSeries(
  rows: readonly EvidenceRollupRow[],
  nStars: ReadonlyMap<number, number>,
  alpha: number,
  dispersion: number,
): Map<number, ComparisonPoint[]> {
  const cells = new Map<number, Map<number, { nT: number; nC: number; eT: number; eC: number }>>();
  for (const r of rows) {
    if (r.reason !== "SPLIT") continue;
    const byMinute = cells.get(r.phase) ?? new Map<number, { nT: number; nC: number; eT: number; eC: number }>();
    cells.set(r.phase, byMinute);
    const c = byMinute.get(r.minute) ?? { nT: 0, nC: 0, eT: 0, eC: 0 };
    byMinute.set(r.minute, c);
    if (r.variant === "on") {
      c.nT += r.requests;
      c.eT += r.errorSubjects;
    } else {
      c.nC += r.requests;
      c.eC += r.errorSubjects;
    }
  }
  let total = 0;
  for (const m of cells.values()) total += m.size;
  const every = Math.max(1, Math.ceil(total / MAX_SERIES_POINTS));
  const out = new Map<number, ComparisonPoint[]>();
  for (const [phase, byMinute] of cells) {
    const minutes = [...byMinute.entries()].sort(([a], [b]) => a - b);
    const sum = { nT: 0, nC: 0, eT: 0, eC: 0 };
    const points: ComparisonPoint[] = [];
    minutes.forEach(([t, c], i) => {
      sum.nT += c.nT;
      sum.nC += c.nC;
      sum.eT += c.eT;
      sum.eC += c.eC;
      if ((i + 1) % every !== 0 && i !== minutes.length - 1) return;
      const band = deltaBand(sum, nStars.get(phase) ?? 1, alpha, dispersion);
      if (band) points.push({ t, delta: band.delta, lower: band.lower });
    });
    out.set(phase, points);
  }
  return out;
}

/**
 * The comparison over `rows` (the rollout's rows since `from`; non-SPLIT rows are ignored). The error
 * sentence is one look of the error test over all minutes so far (judgeEvidence without a stored
 * track): the sticky running maximum belongs to whoever acts on it.
 */
export function buildComparison(
  input: readonly EvidenceRollupRow[],
  phases: readonly PhaseInfo[],
  window: { from: number; to: number },
): RolloutComparison {
  const rows = input.filter((r) => r.reason === "SPLIT" && r.phase >= 0);
  const minutes = errorMinutes(rows);
  const dispersion = temperFor(minutes);
  const alpha = ALPHA_ERRORS;
  const nStars = phaseNStars(rows, phases);
  const nStarFor = (phase: number) => nStars.get(phase) ?? 1;
  const errorBands = phaseBands(rows, nStarFor, { alpha, dispersion });
  const slowThresholdMs = frozenSlowThresholdMs(rows);
  const slowBands =
    slowThresholdMs === null
      ? []
      : phaseBands(rows, nStarFor, {
          alpha: ALPHA_LATENCY_EACH,
          dispersion: temperFor(slowMinutes(rows, slowThresholdMs)),
          slowerThanMs: slowThresholdMs,
        });
  const series = phaseSeries(rows, nStars, alpha, dispersion);
  const verdict = judgeEvidence(minutes, { test: "errors" });
  const firstMinute = new Map<number, number>();
  for (const r of rows) firstMinute.set(r.phase, Math.min(firstMinute.get(r.phase) ?? Infinity, r.minute));
  return {
    from: window.from,
    to: window.to,
    alpha,
    dispersion,
    slowThresholdMs,
    phases: errorBands.map(({ phase, band }) => {
      const info = phases.find((p) => p.index === phase);
      return {
        phase,
        name: info?.name ?? `Phase ${phase + 1}`,
        percent: info?.percent ?? 0,
        startedAt: firstMinute.get(phase)!,
        nStar: nStarFor(phase),
        errors: summary(band),
        slow: summary(slowBands.find((b) => b.phase === phase)?.band ?? null),
        series: series.get(phase) ?? [],
      };
    }),
    errors: {
      explanation: verdict.explanation,
      verdict: verdict.verdict,
      evidence: verdict.evidence,
      ratio: verdict.ratio,
      minutes: verdict.minutes,
      on: verdict.on,
      off: verdict.off,
    },
  };
}
