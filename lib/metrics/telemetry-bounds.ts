import { LATENCY_EDGES_MS } from "../domain/latency-buckets";
import { MAX_LATENCY_MS } from "../domain/telemetry-window";

/**
 * What a report of traffic may claim, in one place (docs/API.md "Events and metrics", README
 * "Plausibility bounds"). Rollouts and guardrails act on these numbers, so a value no real service
 * could have produced is refused with a 400 naming the field rather than stored: one forged summary
 * of 9e15 requests once turned every gate of a failing rollout green.
 */

/**
 * Most requests one SDK token may report for one flag in one minute, all variants and reasons
 * together, summed over every batch it sends: a million a second from one token for one flag for a
 * whole minute. Far past a real fleet sharing a token, and it keeps one token's weight finite.
 */
export const MAX_REQUESTS_PER_TOKEN_FLAG_MINUTE = 60_000_000;

/** The window a reported outcome's time must fall in, and the longest latency (shared with the SDK, which checks before sending). */
export { MAX_CLOCK_SKEW_MS, MAX_EVENT_AGE_MS, MAX_LATENCY_MS } from "../domain/telemetry-window";

/**
 * A sketch may estimate a few more subjects than requests (HyperLogLog's error, 6.5 % standard,
 * exact below a handful); more than this says the registers were not filled by these requests.
 */
export const SKETCH_SLACK = { factor: 1.25, plus: 5 } as const;

/** Rounding of a sum of floating-point latencies that the SDK accumulated one by one. */
const SUM_TOLERANCE = { relative: 1e-9, absolute: 1e-3 } as const;

/**
 * The range the latency sum of a histogram can have: each request lies above its slot's lower edge
 * and at or below its upper one (the overflow slot's being MAX_LATENCY_MS). Both ends are widened by
 * the rounding tolerance.
 */
export function latencySumRange(slots: readonly number[]): { min: number; max: number } {
  let min = 0;
  let max = 0;
  slots.forEach((n, i) => {
    min += n * (i === 0 ? 0 : LATENCY_EDGES_MS[i - 1]!);
    max += n * (i < LATENCY_EDGES_MS.length ? LATENCY_EDGES_MS[i]! : MAX_LATENCY_MS);
  });
  return {
    min: Math.max(0, min - min * SUM_TOLERANCE.relative - SUM_TOLERANCE.absolute),
    max: max + max * SUM_TOLERANCE.relative + SUM_TOLERANCE.absolute,
  };
}
