import type { RolloutComparison } from "@/lib/metrics/rollout-comparison";

/** One chart row: Δ and the band [lower bound, top of the chart] in percentage points; null breaks the line between phases. */
export interface ComparisonRow {
  t: number;
  delta: number | null;
  lower: number | null;
  band: [number, number] | null;
}

const PP = 100;

/**
 * The y-axis in percentage points: 0 always in view, Δ and its lower bound with a margin. Early
 * lower bounds are very wide (little data); they are cut at a few times the largest |Δ| so they do
 * not squeeze the rest of the phase into a line (the band runs off the bottom edge instead).
 */
export function comparisonDomain(c: RolloutComparison): [number, number] {
  let top = 0;
  let bottom = 0;
  let biggest = 0.1;
  for (const p of c.phases)
    for (const s of p.series) {
      top = Math.max(top, s.delta * PP);
      biggest = Math.max(biggest, Math.abs(s.delta * PP));
    }
  for (const p of c.phases) for (const s of p.series) bottom = Math.min(bottom, s.lower * PP, s.delta * PP);
  bottom = Math.max(bottom, -4 * biggest);
  const pad = (top - bottom) * 0.1 || 0.1;
  return [nice(bottom - pad, Math.floor), nice(top + pad, Math.ceil)];
}

function nice(x: number, round: (x: number) => number): number {
  const step = Math.abs(x) >= 1 ? 0.5 : Math.abs(x) >= 0.1 ? 0.05 : 0.01;
  return Number((round(x / step) * step).toFixed(2));
}

/** The phases' series one after the other, a gap between phases, the band up to the top of the chart. */
export function comparisonRows(c: RolloutComparison, top: number): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const p of c.phases) {
    if (!p.series.length) continue;
    if (rows.length) rows.push({ t: p.startedAt, delta: null, lower: null, band: null });
    for (const s of p.series) rows.push({ t: s.t, delta: s.delta * PP, lower: s.lower * PP, band: [s.lower * PP, top] });
  }
  return rows;
}

/** "+0.25 pp", "−0.1 pp". */
export function pp(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  const v = Number((x * PP).toPrecision(2));
  return `${v > 0 ? "+" : v < 0 ? "−" : ""}${Math.abs(v)} pp`;
}

/** "1.5 %" (rates 0–1). */
export function percent(x: number): string {
  return `${Number((x * 100).toPrecision(2))} %`;
}
