import { LATENCY_EDGES_MS } from "./latency-buckets";
import type { MinuteCounts } from "./split-evidence";

/**
 * Latency regressions as counts (research §7.3): a request is "slow" when it lands in a histogram slot
 * whose lower edge is at or above a threshold T, i.e. latency > the smallest edge ≥ T. Slow counts per
 * minute feed the same split e-process as errors, so a latency change is tested with the same
 * guarantees and the same immunity to shared slowdowns. Two thresholds, α_L/2 each:
 * - L1, relative: the edge nearest control's p95, frozen when the rollout starts (choosing T from the
 *   data under test would bias the test);
 * - L2, absolute: the phase's latency criterion, which catches tail-only regressions.
 */

/** Lower edge of slot i: 0 for the first slot, else the previous slot's upper edge. */
const lowerEdge = (i: number) => (i === 0 ? 0 : LATENCY_EDGES_MS[i - 1]!);

/** Requests in slots whose lower edge is ≥ thresholdMs. */
export function slowCount(slots: readonly number[], thresholdMs: number): number {
  let slow = 0;
  for (let i = 0; i < slots.length; i++) if (lowerEdge(i) >= thresholdMs) slow += slots[i]!;
  return slow;
}

export function slotTotal(slots: readonly number[]): number {
  let total = 0;
  for (const x of slots) total += x;
  return total;
}

/**
 * Quantile q estimated from summed slots, interpolating linearly inside the slot that holds it (the
 * upper-edge rule of quantileUpperBoundMs would always round p95 up to the next edge). The overflow
 * slot has no upper edge: its lower edge, 10 s. null without samples.
 */
export function interpolatedQuantileMs(slots: readonly number[], q: number): number | null {
  const total = slotTotal(slots);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < slots.length; i++) {
    const count = slots[i]!;
    if (count > 0 && seen + count >= rank) {
      if (i >= LATENCY_EDGES_MS.length) return lowerEdge(i);
      const lo = lowerEdge(i);
      return lo + ((rank - seen) / count) * (LATENCY_EDGES_MS[i]! - lo);
    }
    seen += count;
  }
  return lowerEdge(slots.length - 1);
}

/**
 * T_rel: the bucket edge nearest control's p95 (ties go to the lower, more sensitive edge), from a
 * histogram of control traffic taken before it is tested (the previous 24 h of `off`, or the first
 * 15 min of control). null without samples.
 */
export function relativeSlowThresholdMs(controlSlots: readonly number[], q = 0.95): number | null {
  const p = interpolatedQuantileMs(controlSlots, q);
  if (p === null) return null;
  let best: number = LATENCY_EDGES_MS[0];
  for (const edge of LATENCY_EDGES_MS) if (Math.abs(edge - p) < Math.abs(best - p)) best = edge;
  return best;
}

/**
 * T_abs: the smallest edge at or above an absolute criterion (e.g. the phase's maxP95Ms), so every
 * request counted slow really is slower than the criterion; 10 s beyond the last edge.
 */
export function absoluteSlowThresholdMs(criterionMs: number): number {
  for (const edge of LATENCY_EDGES_MS) if (edge >= criterionMs) return edge;
  return LATENCY_EDGES_MS[LATENCY_EDGES_MS.length - 1]!;
}

/** One minute's histograms per arm as split-test counts: timed requests and slow ones. */
export function slowMinute(onSlots: readonly number[], offSlots: readonly number[], thresholdMs: number): MinuteCounts {
  return { nT: slotTotal(onSlots), nC: slotTotal(offSlots), eT: slowCount(onSlots, thresholdMs), eC: slowCount(offSlots, thresholdMs) };
}
