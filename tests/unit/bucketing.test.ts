import fc from "fast-check";
import { x86 } from "murmurhash3js-revisited";
import { describe, expect, it } from "vitest";
import { bucketOf } from "../../lib/domain/bucketing";
import { murmur3, murmur3Joined } from "../../lib/domain/murmur3";

const reference = (s: string, seed = 0) => x86.hash32(new TextEncoder().encode(s), seed);

describe("murmur3 x86_32", () => {
  it.each([
    ["", 0, 0],
    ["", 1, 0x514e28b7],
    ["hello", 0, 613153351],
    ["messaging-v2:123", 0, 1895641403],
    ["messaging-v2:ünïcode", 0, 3374799511],
    ["flag:日本", 0, 3381118426],
    ["The quick brown fox jumps over the lazy dog", 0, 0x2e4ff723],
  ])("hash(%j, seed %i) = %i", (input, seed, expected) => {
    expect(murmur3(input, seed)).toBe(expected);
  });

  it("hashes the UTF-8 bytes of non-ASCII keys (emoji, combining marks, CJK)", () => {
    for (const s of ["user:😀", "e\u0301", "ключ", "🏳️‍🌈:42", "\u0000\u007f\u0080"]) {
      expect(murmur3(s)).toBe(reference(s));
    }
  });

  it("agrees with a reference implementation on arbitrary strings and seeds", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), fc.nat(), (s, seed) => murmur3(s, seed) === reference(s, seed)),
      { numRuns: 2000 },
    );
  });
});

describe("murmur3Joined (the bucketing hash, without building the joined string)", () => {
  it.each([
    ["messaging-v2", "123", 0],
    ["", "", 0],
    ["abc", "", 7],
    ["", "abcd", 0],
    ["messaging-v2", "ünïcode", 0],
    ["日本", "user-1", 86028157],
  ])("murmur3Joined(%j, %j, %i) = murmur3 of the joined string", (group, id, seed) => {
    expect(murmur3Joined(group, id, seed)).toBe(murmur3(`${group}:${id}`, seed));
  });

  it("agrees with the reference on arbitrary parts and seeds (every block alignment, ASCII or not)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 20 }),
        fc.string({ unit: "grapheme", maxLength: 20 }),
        fc.nat(),
        (g, k, seed) => murmur3Joined(g, k, seed) === reference(`${g}:${k}`, seed),
      ),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (g, k) => murmur3Joined(g, k) === reference(`${g}:${k}`)),
      { numRuns: 3000 },
    );
  });
});

describe("bucketOf (Unleash normalizedHash)", () => {
  it("is Unleash's formula: murmur3(groupId:key) % 100 + 1", () => {
    expect(bucketOf("messaging-v2", "123")).toBe((1895641403 % 100) + 1);
    expect(bucketOf("messaging-v2", "123")).toBe(4);
  });

  it("always lies in 1..100", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (g, k) => {
        const b = bucketOf(g, k);
        return Number.isInteger(b) && b >= 1 && b <= 100;
      }),
    );
  });

  it("a user on at p% stays on at every q >= p", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string(),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (g, k, p, q) => {
          const bucket = bucketOf(g, k);
          const [lo, hi] = p <= q ? [p, q] : [q, p];
          return !(bucket <= lo) || bucket <= hi;
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("over 100,000 random keys the share on is within ±0.5 points of p", () => {
    // noBias: fast-check otherwise skews samples towards small, repetitive values.
    const keys = fc.sample(fc.noBias(fc.uuid()), { numRuns: 100_000, seed: 42 });
    expect(new Set(keys).size).toBeGreaterThan(99_900);
    const buckets = keys.map((k) => bucketOf("share-test", k));
    for (const p of [1, 5, 10, 25, 50, 75, 90, 99]) {
      const share = (100 * buckets.filter((b) => b <= p).length) / buckets.length;
      expect(Math.abs(share - p), `p=${p}: ${share}`).toBeLessThanOrEqual(0.5);
    }
  });
});
