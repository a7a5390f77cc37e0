import { describe, expect, it } from "vitest";
import { disagreeingTokens, splitChiSquare, type TokenSplit } from "../../lib/domain/token-agreement";

const token = (id: string, on: number, off: number): TokenSplit => ({ tokenId: id, label: `${id} (tok_${id}…)`, on, off });

describe("splitChiSquare", () => {
  it("is the one-degree-of-freedom goodness of fit, by hand", () => {
    // 600 of 1,000 against 50 %: (600 − 500)² / (1000 · 0.25) = 40.
    expect(splitChiSquare(600, 1000, 0.5)).toBeCloseTo(40, 10);
    // 30 of 100 against 10 %: (30 − 10)² / (100 · 0.09) = 44.44…
    expect(splitChiSquare(30, 100, 0.1)).toBeCloseTo(400 / 9, 10);
  });
});

describe("disagreeingTokens", () => {
  it("holds out a token reporting only `on` against two tokens at an even split, naming it and the numbers", () => {
    const held = disagreeingTokens([token("a", 1000, 1000), token("b", 980, 1020), token("forger", 50_000_000, 0)], 0.5);
    expect(held.map((h) => h.tokenId)).toEqual(["forger"]);
    expect(held[0]!.reason).toBe(
      "held out forger (tok_forger…): its split traffic is 100.0 % on against 50.0 % for the median of 3 tokens " +
        "(χ² = 50,000,000, p < 0.001 over 50,000,000 requests), so its reports are left out of this gate",
    );
  });

  it("holds nobody out when the tokens agree, however many requests they have", () => {
    expect(disagreeingTokens([token("a", 5_100_000, 4_900_000), token("b", 4_900_000, 5_100_000), token("c", 50, 50)], 0.5)).toEqual([]);
  });

  it("needs the gap as well as significance: 54 % against 50 % over millions is clustering, not forgery", () => {
    expect(disagreeingTokens([token("a", 500_000, 500_000), token("b", 500_000, 500_000), token("c", 540_000, 460_000)], 0.5)).toEqual([]);
  });

  it("ignores tokens with too few split requests, and says nothing with fewer than two judged", () => {
    expect(disagreeingTokens([token("a", 1000, 1000), token("b", 99, 0)], 0.5)).toEqual([]);
    expect(disagreeingTokens([token("a", 1000, 0)], 0.5)).toEqual([]);
  });

  it("with two tokens, holds out the one off the rollout's split, and nobody without one", () => {
    expect(disagreeingTokens([token("real", 100, 900), token("forger", 1_000_000, 0)], 0.1).map((h) => h.tokenId)).toEqual(["forger"]);
    expect(disagreeingTokens([token("real", 100, 900), token("forger", 1_000_000, 0)], null)).toEqual([]);
    // Both off the configured split: the traffic itself is off (a sample ratio mismatch), not one token.
    expect(disagreeingTokens([token("a", 900, 100), token("b", 1000, 0)], 0.1)).toEqual([]);
  });

  it("never holds out half the tokens or more", () => {
    expect(disagreeingTokens([token("a", 500, 500), token("b", 500, 500), token("c", 1000, 0), token("d", 1000, 0)], 0.5)).toEqual([]);
  });
});
