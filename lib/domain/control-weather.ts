import type { MinuteCounts } from "./split-evidence";

/**
 * Whether control itself is in an incident ("the weather"): `off`'s rate over its last few minutes
 * well above its own rate before them. The comparison stays valid in an incident that hits both arms
 * alike (the shared rate cancels), but its α is spent wherever the events are, and an incident brings
 * many: a crossing is likeliest exactly then, when rolling back would blame the change for the weather.
 * So an error alarm raised while control is elevated holds (pauses) and asks a person instead of
 * rolling back (issue 23: 0 kills when an incident hits both arms).
 *
 * Control alone decides, never `on`: a regression raises `on` and leaves `off` where it was.
 */

/** Minutes (with control traffic) that make up "now": the open minute and the four before it. */
export const WEATHER_RECENT_MINUTES = 5;
/** Control's recent rate must be at least this multiple of its rate before... */
export const WEATHER_MIN_RATIO = 2;
/** ...and that excess this many Poisson standard deviations above what its earlier rate predicts (one-sided p ≈ 0.001). */
export const WEATHER_MIN_Z = 3.1;
/** With fewer earlier control requests there is no "before" to compare with. */
export const WEATHER_MIN_BASELINE_REQUESTS = 500;

export interface ControlWeather {
  elevated: boolean;
  /** Control's events / requests over the recent minutes; null without recent control requests. */
  recentRate: number | null;
  /** Control's events / requests before them; null without enough earlier requests. */
  baselineRate: number | null;
}

/** Control's recent minutes against its own earlier ones (minutes oldest first, the open one last). */
export function controlWeather(minutes: readonly MinuteCounts[]): ControlWeather {
  const withControl = minutes.filter((m) => m.nC > 0);
  const split = Math.max(0, withControl.length - WEATHER_RECENT_MINUTES);
  let nBefore = 0;
  let eBefore = 0;
  let nRecent = 0;
  let eRecent = 0;
  withControl.forEach((m, i) => {
    if (i < split) {
      nBefore += m.nC;
      eBefore += m.eC;
    } else {
      nRecent += m.nC;
      eRecent += m.eC;
    }
  });
  const recentRate = nRecent > 0 ? eRecent / nRecent : null;
  if (nBefore < WEATHER_MIN_BASELINE_REQUESTS || recentRate === null) return { elevated: false, recentRate, baselineRate: null };
  const baselineRate = eBefore / nBefore;
  // Half an event of prior keeps a baseline of zero errors from making any error "weather".
  const expected = (nRecent * (eBefore + 0.5)) / (nBefore + 1);
  const z = (eRecent - expected) / Math.sqrt(expected);
  const elevated = eRecent >= WEATHER_MIN_RATIO * expected && z >= WEATHER_MIN_Z;
  return { elevated, recentRate, baselineRate };
}
