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
  /** Requests still needed (at the current pooled event rate, or at the floor rate if that is sooner); null when neither gives an estimate. */
  moreRequests: number | null;
  message: string;
}

/**
 * The smallest base error rate a phase must be able to judge: a doubling from below it stays below
 * the error budget the phase's criteria allow, so it is not the regression promotion guards against.
 * Without it a service with almost no errors could never gather the events the test needs.
 */
export interface FloorRate {
  rate: number;
  /** Where it comes from, for the sentence: "half the 1 % error criterion". */
  label: string;
}

const n = (x: number) => x.toLocaleString("en-US");
const percent = (x: number) => `${Number((x * 100).toPrecision(3))} %`;

/**
 * Whether the phase has the exposure for promotion, and if not, how much more it needs, in words.
 * `events`/`requests` are both arms' totals so far; `share` is `on`'s request share in the phase;
 * `noun` names the events ("errors", "slow requests"). With a `floor`, enough requests also meet it:
 * as many as would have held the needed events had the base rate been the floor rate.
 */
export function exposureForPromotion(input: {
  share: number;
  events: number;
  requests: number;
  alpha: number;
  theta?: number;
  noun?: string;
  floor?: FloorRate;
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
  const catchPhrase = `to catch a ${theta}× ratio in ${noun}`;
  const met = (message: string): Exposure => ({ needed, have: input.events, met: true, moreEvents, moreRequests: 0, message });
  if (moreEvents === 0) return met(`enough data: ${n(input.events)} of ${n(needed)} ${noun} needed ${catchPhrase}`);
  // Under the regression, `on` errs θ times as often: events per request = floor·(1 − s + θ·s).
  const floorRequests = input.floor ? Math.ceil(needed / (input.floor.rate * (1 - input.share + theta * input.share))) : null;
  if (floorRequests !== null && input.requests >= floorRequests) {
    return met(
      `enough data: ${n(input.requests)} requests would have caught a ${theta}× rise from ${percent(input.floor!.rate)} ${noun} (${input.floor!.label}); ${n(input.events)} ${noun} so far`,
    );
  }
  const rate = input.requests > 0 ? input.events / input.requests : 0;
  const byRate = rate > 0 ? Math.ceil(moreEvents / rate) : Number.POSITIVE_INFINITY;
  const byFloor = floorRequests !== null ? floorRequests - input.requests : Number.POSITIVE_INFINITY;
  const more = Math.min(byRate, byFloor);
  const moreRequests = Number.isFinite(more) ? more : null;
  const message =
    moreRequests === null
      ? `needs ${n(moreEvents)} more ${noun} ${catchPhrase} (none yet, so no estimate in requests)`
      : `needs about ${n(moreRequests)} more requests (${n(moreEvents)} more ${noun}) ${catchPhrase}`;
  return { needed, have: input.events, met: false, moreEvents, moreRequests, message };
}
