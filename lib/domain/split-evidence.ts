/**
 * The conditional "error split" e-process (research §7.2, after Lindon & Malek): under H0 each event
 * of a minute lands in `on` with probability equal to `on`'s request share of that minute (times θ0
 * when a ratio θ0 is tolerated), whatever the shared base rate does. Betting on a grid of rate ratios
 * gives a nonnegative supermartingale under H0, so by Ville's inequality
 * P(ever log E ≥ ln(1/α)) ≤ α at every look, however often the worker looks, across phase changes.
 *
 * The shared base rate cancels: a database blip that hits both arms moves no evidence. Over-dispersion
 * (one user's errors repeating) does not cancel: count distinct erroring subjects as the events and
 * temper by the measured dispersion factor (§7.4).
 *
 * The same machinery serves latency: events are then slow requests (latency-evidence.ts).
 */

/** Rate ratios (relative to θ0) the mixture bets on, with equal weights 1/7. */
export const RATIO_GRID = [1.1, 1.25, 1.5, 2, 3, 5, 10] as const;

/** One minute of one rollout: requests and events per arm (treatment `on`, control `off`). */
export interface MinuteCounts {
  nT: number;
  nC: number;
  eT: number;
  eC: number;
}

/**
 * Log-likelihood ratio of each grid point (index k ↔ RATIO_GRID[k]) over the minutes. Minutes where
 * an arm saw no requests carry no information about the split and are skipped. Additive over
 * minutes: a worker looking every few seconds may keep the closed minutes' sum and add the open one.
 */
export function splitLlr(minutes: Iterable<MinuteCounts>, theta0 = 1): number[] {
  const llr = RATIO_GRID.map(() => 0);
  const logGrid = RATIO_GRID.map((g) => Math.log(g));
  for (const { nT, nC, eT, eC } of minutes) {
    if (nT <= 0 || nC <= 0) continue;
    const s = nT / (nT + nC);
    const e = eT + eC;
    const base = 1 + (theta0 - 1) * s;
    for (let k = 0; k < RATIO_GRID.length; k++) {
      const th = RATIO_GRID[k]! * theta0;
      llr[k]! += eT * logGrid[k]! - e * Math.log((1 + (th - 1) * s) / base);
    }
  }
  return llr;
}

/** Element-wise sum of two llr vectors (closed minutes + the open one). */
export function addLlr(a: readonly number[], b: readonly number[]): number[] {
  return a.map((x, k) => x + b[k]!);
}

/**
 * log E of the equal-weight mixture, each llr divided by `temper` (the dispersion factor φ̂ ≥ 1):
 * logsumexp_k(ln(1/7) + llr_k/φ̂), shifted by the largest term so no exp overflows.
 */
export function mixLogEvidence(llr: readonly number[], temper = 1): number {
  const scaled = llr.map((x) => x / temper);
  const top = Math.max(...scaled);
  let sum = 0;
  for (const x of scaled) sum += Math.exp(x - top);
  return top + Math.log(sum / scaled.length);
}

/** log E(t) over the minutes so far: mixLogEvidence(splitLlr(minutes, θ0), temper). */
export function logEvidence(minutes: Iterable<MinuteCounts>, theta0 = 1, temper = 1): number {
  return mixLogEvidence(splitLlr(minutes, theta0), temper);
}

/** φ̂ is estimated from at least this many minute batches; fewer give too noisy a variance. */
export const DISPERSION_MIN_MINUTES = 10;

/**
 * Dispersion factor φ̂ = max(1, V_batch / V_binomial) from minute batches (§7.4): the variance of
 * Δ̂ = p̂_t − p̂_c measured cluster-robustly (minutes as clusters) against the variance binomial
 * counting would give. 1 without at least two usable minutes or without events.
 *   u_i = (e_t,i − p̂_t n_t,i)/N_t − (e_c,i − p̂_c n_c,i)/N_c,  V_batch = m/(m−1) · Σ u_i²
 */
export function dispersionFactor(minutes: readonly MinuteCounts[]): number {
  let m = 0;
  let NT = 0;
  let NC = 0;
  let ET = 0;
  let EC = 0;
  for (const r of minutes) {
    if (r.nT <= 0 || r.nC <= 0) continue;
    m++;
    NT += r.nT;
    NC += r.nC;
    ET += r.eT;
    EC += r.eC;
  }
  if (m < 2) return 1;
  const pT = ET / NT;
  const pC = EC / NC;
  const vBinomial = (pT * (1 - pT)) / NT + (pC * (1 - pC)) / NC;
  if (!(vBinomial > 0)) return 1;
  let sumSq = 0;
  for (const r of minutes) {
    if (r.nT <= 0 || r.nC <= 0) continue;
    const u = (r.eT - pT * r.nT) / NT - (r.eC - pC * r.nC) / NC;
    sumSq += u * u;
  }
  const vBatch = (m / (m - 1)) * sumSq;
  return Math.max(1, vBatch / vBinomial);
}

/** Minutes in which both arms saw requests: the ones the e-process and φ̂ use. */
export function usableMinutes(minutes: readonly MinuteCounts[]): number {
  let m = 0;
  for (const r of minutes) if (r.nT > 0 && r.nC > 0) m++;
  return m;
}

/** The temper to apply: φ̂ once DISPERSION_MIN_MINUTES usable minutes exist, 1 before (rule 2 guards that time). */
export function temperFor(minutes: readonly MinuteCounts[]): number {
  return usableMinutes(minutes) >= DISPERSION_MIN_MINUTES ? dispersionFactor(minutes) : 1;
}

/**
 * No action before `on` has this many events and requests (§7.4 rule 2). Not needed for validity:
 * it keeps a handful of reports, where the model is least trustworthy, from acting.
 */
export const MIN_TREATMENT_EVENTS = 5;
export const MIN_TREATMENT_REQUESTS = 100;

export function enoughToAct(treatmentEvents: number, treatmentRequests: number): boolean {
  return treatmentEvents >= MIN_TREATMENT_EVENTS && treatmentRequests >= MIN_TREATMENT_REQUESTS;
}

/**
 * What a caller stores between looks. The alarm is sticky and the evidence a running maximum, so
 * a later dip (or a φ̂ that grows) never takes back an alarm; p = 1/max E is then always valid.
 */
export interface EvidenceTrack {
  maxLogE: number;
  alarmed: boolean;
}

/** The track after one look at log E, with the alarm threshold ln(1/α) and whether acting is allowed yet. */
export function advanceTrack(previous: EvidenceTrack | null, logE: number, alpha: number, canAct: boolean): EvidenceTrack {
  const maxLogE = Math.max(previous?.maxLogE ?? 0, logE);
  return { maxLogE, alarmed: (previous?.alarmed ?? false) || (canAct && maxLogE >= Math.log(1 / alpha)) };
}

/** Always-valid p-value from the running maximum of log E. */
export function alwaysValidP(maxLogE: number): number {
  return Math.min(1, Math.exp(-maxLogE));
}

/**
 * Mantel–Haenszel rate ratio across minutes: Σ e_t·n_c/n ÷ Σ e_c·n_t/n. Stratified by minute like the
 * test, so shares that change with phases do not bias it (pooled rates would: Simpson's paradox).
 * null without control events.
 */
export function stratifiedRateRatio(minutes: readonly MinuteCounts[]): number | null {
  let num = 0;
  let den = 0;
  for (const { nT, nC, eT, eC } of minutes) {
    if (nT <= 0 || nC <= 0) continue;
    num += (eT * nC) / (nT + nC);
    den += (eC * nT) / (nT + nC);
  }
  return den > 0 ? num / den : null;
}
