/**
 * Which SDK tokens' reports disagree with the others' (issue 23). Every service reporting split
 * traffic for a flag sees users bucketed by the same hash, so each token's on/off split of SPLIT
 * requests estimates the same share. A token whose split is far from the others' did not report what
 * it served: a forger sending `requests: 9e12, errors: 0` for `on` alone shows a split of 100 % on.
 * Such a token is held out of gates and guardrails, which then judge the remaining tokens' traffic.
 */

/** α of the test between tokens (its χ² critical value with one degree of freedom). */
export const TOKEN_AGREEMENT_ALPHA = 0.001;
const CHI2_CRITICAL_1DF = 10.828;
/**
 * A token must also be this far from the others' share (absolute), so heavy users clustering in one
 * service (requests are not independent draws) never hold out an honest token on volume alone.
 */
export const MIN_SHARE_GAP = 0.1;
/** Below this many split requests a token's share says too little to judge. */
export const MIN_TOKEN_SPLIT_REQUESTS = 100;

export interface TokenSplit {
  tokenId: string;
  /** How a person recognises the token: its name and prefix. */
  label: string;
  /** SPLIT requests reported as served `on` and `off` in the window. */
  on: number;
  off: number;
}

export interface HeldOutToken {
  tokenId: string;
  label: string;
  /** The sentence a gate shows. */
  reason: string;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const count = (n: number) => Math.round(n).toLocaleString("en-US");

/** χ² goodness of fit of `on` of `n` to share p (one degree of freedom). */
export function splitChiSquare(on: number, n: number, p: number): number {
  const q = Math.min(Math.max(p, 1e-9), 1 - 1e-9);
  return (on - n * q) ** 2 / (n * q * (1 - q));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/**
 * The tokens to hold out. With three or more judged tokens the reference is the median of their
 * shares, which no single token can move; tokens off it at α and by MIN_SHARE_GAP are held out,
 * unless that would be half of them or more (then nobody can say which side is right). With two,
 * the median is between them, so the reference is the split the rollout configured (`expectedOnShare`,
 * when known), and exactly one of them must be off it.
 */
export function disagreeingTokens(tokens: readonly TokenSplit[], expectedOnShare: number | null): HeldOutToken[] {
  const judged = tokens.filter((t) => t.on + t.off >= MIN_TOKEN_SPLIT_REQUESTS);
  if (judged.length < 2) return [];
  const shares = judged.map((t) => t.on / (t.on + t.off));
  const reference = judged.length >= 3 ? median(shares) : expectedOnShare;
  if (reference === null) return [];
  const against = judged.length >= 3 ? `the median of ${judged.length} tokens` : "the rollout's split";
  const off = judged.flatMap((t, i) => {
    const n = t.on + t.off;
    const chi2 = splitChiSquare(t.on, n, reference);
    if (chi2 <= CHI2_CRITICAL_1DF || Math.abs(shares[i]! - reference) < MIN_SHARE_GAP) return [];
    return [
      {
        tokenId: t.tokenId,
        label: t.label,
        reason:
          `held out ${t.label}: its split traffic is ${pct(shares[i]!)} on against ${pct(reference)} for ${against} ` +
          `(χ² = ${count(chi2)}, p < ${TOKEN_AGREEMENT_ALPHA} over ${count(n)} requests), so its reports are left out of this gate`,
      },
    ];
  });
  if (judged.length >= 3 ? off.length * 2 >= judged.length : off.length !== 1) return [];
  return off;
}
