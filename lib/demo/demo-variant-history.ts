import { latencySlot, LATENCY_SLOTS } from "../domain/latency-buckets";

/** The demo's A/B/n flag: its variants with their weights, errors per request and mean latency. */
export const DEMO_AB_FLAG = {
  key: "onboarding-copy",
  description: "Onboarding copy test: control against a short and a playful welcome",
  variants: [
    { name: "control", weight: 500, errorRate: 0.004, latencyMs: 120 },
    { name: "short", weight: 250, errorRate: 0.004, latencyMs: 115 },
    { name: "playful", weight: 250, errorRate: 0.012, latencyMs: 135 },
  ],
} as const;

/** A metric_variant_rollups row of the demo history (what ingestion would have written). */
export interface DemoVariantRollup {
  minute: Date;
  variantName: string;
  requests: number;
  errors: number;
  latencySumMs: number;
  latencyBuckets: number[];
}

const MINUTE_MS = 60_000;
const REQUESTS_PER_MINUTE = 300;

/**
 * Six hours of per-variant outcomes for the demo's A/B/n flag, so its Variants section has something
 * to judge without live demo traffic (the browser tests run without it): "playful" errs three times
 * as often as control, "short" like control. Seeded, so every start draws the same. Minutes up to the
 * one before `now`.
 */
export function demoVariantHistory(now: Date, hours = 6): DemoVariantRollup[] {
  let seed = 20261203;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const gaussian = (mean: number, sd: number) =>
    Math.max(1, mean + sd * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()));
  const last = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
  const rows: DemoVariantRollup[] = [];
  const totalWeight = DEMO_AB_FLAG.variants.reduce((a, v) => a + v.weight, 0);
  for (let t = last - (hours * 60 - 1) * MINUTE_MS; t <= last; t += MINUTE_MS) {
    const total = Math.round(gaussian(REQUESTS_PER_MINUTE, 20));
    for (const v of DEMO_AB_FLAG.variants) {
      const requests = Math.round((total * v.weight) / totalWeight);
      const latencyBuckets = new Array<number>(LATENCY_SLOTS).fill(0);
      let latencySumMs = 0;
      let errors = 0;
      for (let i = 0; i < requests; i++) {
        const ms = Math.round(gaussian(v.latencyMs, 30));
        latencySumMs += ms;
        latencyBuckets[latencySlot(ms)]!++;
        if (rnd() < v.errorRate) errors++;
      }
      rows.push({ minute: new Date(t), variantName: v.name, requests, errors, latencySumMs, latencyBuckets });
    }
  }
  return rows;
}
