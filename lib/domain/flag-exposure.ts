/**
 * Which way a change of a flag's state moves its exposure. Pure and import-free: the roll back service
 * refuses by it, and the Roll back dialog (a client component) says the same before anyone confirms.
 */

/** What a flag serves in one environment, as far as a rollout changes it. */
export interface FlagExposure {
  enabled: boolean;
  rolloutPercent: number;
  allowlist: string[];
  /** Segment ids a rollout phase serves (absent: none; rollouts started before segments existed). */
  rolloutSegments?: number[];
}

/**
 * A flag state in a few words: "off", "10 %", "10 % + 2 allowlisted keys", "3 allowlisted keys",
 * "10 % + segment Staff". `segmentName` names a segment id (default "#3").
 */
export function describeExposure(s: FlagExposure, segmentName: (id: number) => string = (id) => `#${id}`): string {
  if (!s.enabled) return "off";
  const segments = (s.rolloutSegments ?? []).map((id) => `segment ${segmentName(id)}`);
  const parts = s.rolloutPercent > 0 || (s.allowlist.length === 0 && segments.length === 0) ? [`${s.rolloutPercent} %`] : [];
  if (s.allowlist.length > 0) parts.push(s.allowlist.length === 1 ? "1 allowlisted key" : `${s.allowlist.length} allowlisted keys`);
  return [...parts, ...segments].join(" + ");
}

/**
 * Whether going from `from` to `to` serves "on" to someone who does not get it now: the flag turned
 * on, a higher percentage (buckets are stable, so a higher percentage is a superset) or an allowlisted
 * key that is not allowlisted now, or a segment not served now. A roll back restores the state from before the rollout, which may
 * well be wider than now (a rollout that started from 100 %), so "roll back" alone says nothing about
 * which way exposure moves.
 */
export function widensExposure(from: FlagExposure, to: FlagExposure): boolean {
  if (!to.enabled) return false;
  const toSegments = to.rolloutSegments ?? [];
  if (!from.enabled) return to.rolloutPercent > 0 || to.allowlist.length > 0 || toSegments.length > 0;
  return (
    to.rolloutPercent > from.rolloutPercent ||
    to.allowlist.some((k) => !from.allowlist.includes(k)) ||
    toSegments.some((id) => !(from.rolloutSegments ?? []).includes(id))
  );
}
