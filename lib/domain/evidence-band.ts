/**
 * The chart's band: Δ̂ = p̂_t − p̂_c with a one-sided always-valid lower bound, GrowthBook's asymptotic
 * confidence sequence (Waudby-Smith et al., research §5(i)). The lower bound crossing 0 means "worse
 * than control". N* (total requests, both arms, at which decisions are typically made: the phase's
 * expected requests at its soak time) is fixed when the phase starts and never changed after.
 *
 * Per phase only: pooling phases whose share differs while the base rate moves manufactures a
 * difference (Simpson's paradox); the split e-process, stratified by minute, is the decision rule.
 */

/** One-sided boundary b(N) in z units: Δ̂ − b·√V is the lower bound. */
export function csBoundary(total: number, nStar: number, alpha: number): number {
  const l = -2 * Math.log(2 * alpha);
  const x = (total * (l + Math.log(l + 1))) / nStar;
  return Math.sqrt(((2 * (x + 1)) / x) * Math.log(1 + Math.sqrt(x + 1) / (2 * alpha)));
}

export interface DeltaBand {
  nT: number;
  nC: number;
  eT: number;
  eC: number;
  rateT: number;
  rateC: number;
  /** p̂_t − p̂_c. */
  delta: number;
  /** Always-valid lower bound of Δ; > 0 means `on` is worse at level α. */
  lower: number;
  boundary: number;
}

/**
 * The band for one phase's totals. `dispersion` (φ̂ ≥ 1) widens the variance for clustered events.
 * null until both arms have requests.
 */
export function deltaBand(
  counts: { nT: number; nC: number; eT: number; eC: number },
  nStar: number,
  alpha: number,
  dispersion = 1,
): DeltaBand | null {
  const { nT, nC, eT, eC } = counts;
  if (nT <= 0 || nC <= 0 || !(nStar > 0)) return null;
  const rateT = eT / nT;
  const rateC = eC / nC;
  const variance = dispersion * ((rateT * (1 - rateT)) / nT + (rateC * (1 - rateC)) / nC);
  const boundary = csBoundary(nT + nC, nStar, alpha);
  const delta = rateT - rateC;
  return { nT, nC, eT, eC, rateT, rateC, delta, lower: delta - boundary * Math.sqrt(variance), boundary };
}
