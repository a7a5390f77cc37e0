/**
 * When a reported outcome may have happened, against the server's clock, and how long it may have
 * taken: the events API refuses a whole batch for one value outside these, so the SDK checks its own
 * before sending (lib/metrics/telemetry-bounds.ts has the rest of the API's bounds).
 */

/** Longest latency one request may report: the SDK clamps to it, and one event may not exceed it. */
export const MAX_LATENCY_MS = 3_600_000;

/** How late an event or summary may arrive: as long as erroring subjects are remembered. */
export const MAX_EVENT_AGE_MS = 7 * 24 * 3600 * 1000;

/** How far ahead of the server's clock a minute may be: clock skew, not the future. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
