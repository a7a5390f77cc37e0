import { RATIO_GRID } from "./split-evidence";

/**
 * Minimum exposure before promotion (research §7.4 rule 3): a phase may be promoted only once a
 * regression of rate ratio θ (default 2) would have been detected with about 80 % probability. The
 * split test gains KL(q1‖s) nats per event under H1, where q1 is `on`'s share of events when its rate
 * is θ times control's; 1.5× the mixture's threshold (ln(1/α) plus ln 7 for the grid) is a margin
 * the research simulation found to give ≈ 80 % detection.
 */
export const PROMOTION_RATIO = 2;

const kl = (a: number, b: number) => a * Math.log(a / b) + (1 - a) * Math.log((1 - a) / (1 - b));

/** Total events (both arms) needed to detect ratio `theta` at treatment request share `share`; Infinity without a control arm. */
export function eventsNeeded(share: number, alpha: number, theta = PROMOTION_RATIO): number {
  if (!(share > 0 && share < 1)) return Number.POSITIVE_INFINITY;
  const q1 = (theta * share) / (theta * share + 1 - share);
  return (1.5 * (Math.log(1 / alpha) + Math.log(RATIO_GRID.length))) / kl(q1, share);
}

export interface Exposure {
  /** Events (both arms) the test needs, rounded up. */
  needed: number;
  have: number;
  met: boolean;
  moreEvents: number;
  /** Requests still needed at the current pooled event rate; null before any event (no rate yet). */
  moreRequests: number | null;
  message: string;
}

const n = (x: number) => x.toLocaleString("en-US");

/**
 * Whether the phase has the exposure for promotion, and if not, how much more it needs, in words.
 * `events`/`requests` are both arms' totals so far; `share` is `on`'s request share in the phase;
 * `noun` names the events ("errors", "slow requests").
 */
export function exposureForPromotion(input: {
  share: number;
  events: number;
  requests: number;
  alpha: number;
  theta?: number;
  noun?: string;
}): Exposure {
  const theta = input.theta ?? PROMOTION_RATIO;
  const noun = input.noun ?? "errors";
  const raw = eventsNeeded(input.share, input.alpha, theta);
  if (!Number.isFinite(raw)) {
    return {
      needed: raw,
      have: input.events,
      met: false,
      moreEvents: raw,
      moreRequests: null,
      message: "no exposure test without both arms (no control to compare with)",
    };
  }
  const needed = Math.ceil(raw);
  const moreEvents = Math.max(0, needed - input.events);
  const rate = input.requests > 0 ? input.events / input.requests : 0;
  const moreRequests = moreEvents === 0 ? 0 : rate > 0 ? Math.ceil(moreEvents / rate) : null;
  const catchPhrase = `to catch a ${theta}× ratio in ${noun}`;
  const message =
    moreEvents === 0
      ? `enough data: ${n(input.events)} of ${n(needed)} ${noun} needed ${catchPhrase}`
      : moreRequests === null
        ? `needs ${n(moreEvents)} more ${noun} ${catchPhrase} (none yet, so no estimate in requests)`
        : `needs about ${n(moreRequests)} more requests (${n(moreEvents)} more ${noun}) ${catchPhrase}`;
  return { needed, have: input.events, met: moreEvents === 0, moreEvents, moreRequests, message };
}
