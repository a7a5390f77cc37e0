/**
 * When a reported outcome may have happened, against the server's clock: the events API refuses a
 * whole batch for one timestamp outside it, so the SDK checks its own before sending.
 */

/** How late an event or summary may arrive: as long as erroring subjects are remembered. */
export const MAX_EVENT_AGE_MS = 7 * 24 * 3600 * 1000;

/** How far ahead of the server's clock a minute may be: clock skew, not the future. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
