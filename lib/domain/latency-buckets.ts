/**
 * Fixed, global upper edges (ms) of the latency histogram every rollup row stores; the last slot
 * counts everything above 10 s. Global edges make rows from any service and minute addable.
 */
export const LATENCY_EDGES_MS = [5, 10, 25, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000] as const;
export const LATENCY_SLOTS = LATENCY_EDGES_MS.length + 1;

/** The slot a latency falls in: the first whose upper edge is at or above it, else the overflow slot. */
export function latencySlot(latencyMs: number): number {
  for (let i = 0; i < LATENCY_EDGES_MS.length; i++) if (latencyMs <= LATENCY_EDGES_MS[i]!) return i;
  return LATENCY_EDGES_MS.length;
}

/**
 * Upper bound of quantile `q` (0–1) from summed histogram slots: the edge of the slot where the
 * cumulative count first reaches q·total. The true value lies within that slot, so it is at most
 * this bound and more than the previous edge. Infinity when it falls in the overflow slot (> 10 s),
 * null without samples.
 */
export function quantileUpperBoundMs(slots: readonly number[], q: number): number | null {
  const total = slots.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < slots.length; i++) {
    seen += slots[i]!;
    if (seen >= rank) return i < LATENCY_EDGES_MS.length ? LATENCY_EDGES_MS[i]! : Number.POSITIVE_INFINITY;
  }
  return Number.POSITIVE_INFINITY;
}
