import { latencySlot, LATENCY_SLOTS } from "../domain/latency-buckets";

/** A metric_rollups row of the demo history (what ingestion would have written). */
export interface DemoRollup {
  variant: "on" | "off";
  minute: Date;
  phase: number;
  reason: "SPLIT";
  requests: number;
  errors: number;
  errorSubjects: number;
  errorsByCode: Record<string, number>;
  latencySumMs: number;
  latencyBuckets: number[];
}

const MINUTE_MS = 60_000;
/**
 * The demo service's traffic, the same in the seeded history and in the live demo traffic
 * (demo-traffic.ts), so its charts go on from the history without a step at the moment `npm start`
 * began: per flag, requests a minute, and the errors and latency of each arm.
 */
export const DEMO_REQUESTS_PER_MINUTE = 600;
export const DEMO_ERROR_RATE = { on: 0.0035, off: 0.0025 } as const;
export const DEMO_LATENCY_MS = { on: 140, off: 110 } as const;
export const DEMO_LATENCY_SD_MS = 35;

/**
 * The demo rollout's randomized (SPLIT) traffic so far, so its page has a "change vs control" chart
 * even without live demo traffic (the browser tests run with ROLLGATE_DEMO_TRAFFIC=off): control
 * only while the internal phase served `on` to its allowlist, then 10 % on / 90 % off, `on` a little
 * slower and a little more error-prone, like the demo service. Seeded, so every start draws the same.
 * Minutes from `from` up to the one before `now` (the open minute is live ingestion's).
 */
export function demoHistory(from: Date, secondPhaseAt: Date, secondPercent: number, now: Date): DemoRollup[] {
  let seed = 20261202;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const gaussian = (mean: number, sd: number) =>
    Math.max(1, mean + sd * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()));
  const rows: DemoRollup[] = [];
  const first = Math.floor(from.getTime() / MINUTE_MS) * MINUTE_MS;
  const last = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
  for (let t = first; t <= last; t += MINUTE_MS) {
    const phase = t >= Math.floor(secondPhaseAt.getTime() / MINUTE_MS) * MINUTE_MS ? 1 : 0;
    const share = phase === 1 ? secondPercent / 100 : 0;
    const total = Math.round(gaussian(DEMO_REQUESTS_PER_MINUTE, 25));
    for (const variant of ["on", "off"] as const) {
      const requests = Math.round(total * (variant === "on" ? share : 1 - share));
      if (requests === 0) continue;
      const latencyBuckets = new Array<number>(LATENCY_SLOTS).fill(0);
      let latencySumMs = 0;
      let errors = 0;
      for (let i = 0; i < requests; i++) {
        const ms = Math.round(gaussian(DEMO_LATENCY_MS[variant], DEMO_LATENCY_SD_MS));
        latencySumMs += ms;
        latencyBuckets[latencySlot(ms)]!++;
        if (rnd() < DEMO_ERROR_RATE[variant]) errors++;
      }
      rows.push({
        variant,
        minute: new Date(t),
        phase,
        reason: "SPLIT",
        requests,
        errors,
        // Demo users rarely fail twice in a minute: each error is its own subject.
        errorSubjects: errors,
        errorsByCode: errors ? { TIMEOUT: errors } : {},
        latencySumMs,
        latencyBuckets,
      });
    }
  }
  return rows;
}
