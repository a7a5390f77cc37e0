/**
 * Fixed, global upper edges (ms) of the latency histogram every rollup row stores; the last slot
 * counts everything above 10 s. Global edges make rows from any service and minute addable.
 */
export const LATENCY_EDGES_MS = [5, 10, 25, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000] as const;
export const LATENCY_SLOTS = LATENCY_EDGES_MS.length + 1;
