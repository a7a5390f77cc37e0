import { describe, expect, it } from "vitest";
import { phaseBands, type EvidenceRollupRow } from "../../lib/domain/guardrail-evidence";
import { LATENCY_SLOTS } from "../../lib/domain/latency-buckets";
import { buildComparison, MAX_SERIES_POINTS, phaseNStars, phaseSeries, type PhaseInfo } from "../../lib/metrics/rollout-comparison";

const MINUTE = 60_000;
const START = Date.UTC(2026, 11, 2, 10, 0);
const PHASES: PhaseInfo[] = [
  { index: 0, name: "10%", percent: 10, minSoakSeconds: 120 },
  { index: 1, name: "50%", percent: 50, minSoakSeconds: 600 },
];

/** All latency in one slot: slot 3 (25–50 ms) by default. */
const slots = (n: number, slot = 3) => Array.from({ length: LATENCY_SLOTS }, (_, i) => (i === slot ? n : 0));
const row = (
  m: number,
  phase: number,
  variant: "on" | "off",
  requests: number,
  errorSubjects: number,
  reason = "SPLIT",
): EvidenceRollupRow => ({
  minute: START + m * MINUTE,
  phase,
  variant,
  reason,
  requests,
  errorSubjects,
  latencyBuckets: slots(requests),
});

// Two minutes at 10 % (1,000 requests a minute), then two at 50 %.
const ROWS: EvidenceRollupRow[] = [
  row(0, 0, "on", 100, 2),
  row(0, 0, "off", 900, 9),
  row(1, 0, "on", 100, 4),
  row(1, 0, "off", 900, 9),
  row(2, 1, "on", 500, 10),
  row(2, 1, "off", 500, 5),
  row(3, 1, "on", 500, 15),
  row(3, 1, "off", 500, 5),
  // Not the randomized comparison, or not this rollout's phases: ignored.
  row(3, 1, "on", 400, 300, "TARGETING_MATCH"),
  row(0, -1, "on", 400, 300),
];

describe("rollout comparison (change vs control)", () => {
  it("fixes N* per phase from the traffic before it (or its first minute) times its soak", () => {
    const nStars = phaseNStars(
      ROWS.filter((r) => r.reason === "SPLIT" && r.phase >= 0),
      PHASES,
    );
    // Phase 0: its first minute, 1,000 requests/min = 16.7/s, × 120 s.
    expect(nStars.get(0)).toBeCloseTo(2000, 9);
    // Phase 1: the 15 minutes before it held minutes 0 and 1, 1,000 a minute, × 600 s.
    expect(nStars.get(1)).toBeCloseTo(10_000, 9);
  });

  it("builds each phase's cumulative Δ and lower bound minute by minute, never pooled", () => {
    const c = buildComparison(ROWS, PHASES, { from: START, to: START + 4 * MINUTE });
    expect(c.alpha).toBe(0.03);
    expect(c.dispersion).toBe(1);
    expect(c.phases.map((p) => [p.phase, p.name, p.percent, p.startedAt])).toEqual([
      [0, "10%", 10, START],
      [1, "50%", 50, START + 2 * MINUTE],
    ]);
    const [p0, p1] = c.phases;
    // Hand-computed: Δ = eT/nT − eC/nC, lower = Δ − b(nT + nC, N*, 0.03)·√(p̂t(1−p̂t)/nT + p̂c(1−p̂c)/nC).
    expect(p0!.series.map((p) => p.t)).toEqual([START, START + MINUTE]);
    expect(p0!.series[0]!.delta).toBeCloseTo(0.01, 12);
    expect(p0!.series[0]!.lower).toBeCloseTo(-0.03356222050366731, 12);
    expect(p0!.series[1]!.delta).toBeCloseTo(0.02, 12);
    expect(p0!.series[1]!.lower).toBeCloseTo(-0.01655302963780613, 12);
    expect(p1!.series.map((p) => p.t)).toEqual([START + 2 * MINUTE, START + 3 * MINUTE]);
    expect(p1!.series[0]!.delta).toBeCloseTo(0.01, 12);
    expect(p1!.series[0]!.lower).toBeCloseTo(-0.01937406341846848, 12);
    expect(p1!.series[1]!.delta).toBeCloseTo(0.015, 12);
    expect(p1!.series[1]!.lower).toBeCloseTo(-0.0044357517115064925, 12);
    // The summary is the phase's band, the series' last point.
    expect(p1!.errors).toEqual({
      on: { requests: 1000, events: 25, rate: 0.025 },
      off: { requests: 1000, events: 10, rate: 0.01 },
      delta: p1!.series[1]!.delta,
      lower: p1!.series[1]!.lower,
    });
    const bands = phaseBands(ROWS, (phase) => (phase === 0 ? 2000 : 10_000));
    expect(p0!.errors!.lower).toBeCloseTo(bands.find((b) => b.phase === 0)!.band!.lower, 12);
    // Every request in the 25–50 ms slot: control's p95 is nearest the 50 ms edge, nothing is slower.
    expect(c.slowThresholdMs).toBe(50);
    expect(p1!.slow).toMatchObject({ on: { requests: 1000, events: 0, rate: 0 }, off: { requests: 1000, events: 0 }, delta: 0 });
  });

  it("states the error test's look in words", () => {
    const c = buildComparison(ROWS, PHASES, { from: START, to: START + 4 * MINUTE });
    expect(c.errors.on).toEqual({ requests: 1200, events: 31, rate: 31 / 1200 });
    expect(c.errors.off).toEqual({ requests: 2800, events: 28, rate: 0.01 });
    expect(c.errors.minutes).toBe(4);
    // One look of the whole rollout's e-process (stratified by minute), which is not the per-phase band.
    expect(c.errors.verdict).toBe("alarm");
    expect(c.errors.explanation).toBe("on: 2.6 % errors, off: 1 %, 2.6× worse, evidence 65 ≥ 33 → roll back");
  });

  it("says there is nothing to compare without traffic on both arms", () => {
    const c = buildComparison([row(0, 0, "off", 900, 9)], PHASES, { from: START, to: START + MINUTE });
    expect(c.phases).toEqual([expect.objectContaining({ phase: 0, errors: null, series: [], startedAt: START })]);
    expect(c.errors.explanation).toBe("no traffic on both arms yet: not judged until on has 5 errors and 100 requests (0 and 0 so far)");
  });

  it("thins long phases to at most MAX_SERIES_POINTS, keeping each phase's last minute", () => {
    const rows = Array.from({ length: 1000 }, (_, m) => [row(m, 0, "on", 100, 1), row(m, 0, "off", 100, 1)]).flat();
    const series = phaseSeries(rows, new Map([[0, 20_000]]), 0.03, 1).get(0)!;
    expect(series).toHaveLength(334);
    expect(series.length).toBeLessThanOrEqual(MAX_SERIES_POINTS);
    expect(series[0]!.t).toBe(START + 2 * MINUTE);
    expect(series.at(-1)!.t).toBe(START + 999 * MINUTE);
  });
});
