import { murmur3 } from "./murmur3";

/**
 * Distinct subjects per rollup row as a HyperLogLog sketch: 256 one-byte registers (precision 8).
 * Sketches merge by taking the larger register, so per-minute rows can be combined into any bucket
 * without keeping the subjects. Standard error 1.04 / √256 ≈ 6.5 %; below about 640 subjects the
 * estimate switches to linear counting, which is within a few percent (and exact for a handful).
 *
 * The hash must be independent of the one that buckets users into a split (murmur3 with seed 0 over
 * "flag:user"): otherwise everyone served `on` at 10 % would share low hash values and pile into a
 * few registers. Hence its own seed over the bare targeting key.
 */
export const SKETCH_REGISTERS = 256;
const INDEX_BITS = 8;
const SEED = 0x5f3759df;
const ALPHA = 0.7213 / (1 + 1.079 / SKETCH_REGISTERS);
const TWO_32 = 2 ** 32;

export type SubjectSketch = Uint8Array;

export function emptySketch(): SubjectSketch {
  return new Uint8Array(SKETCH_REGISTERS);
}

function registerOf(subject: string): { index: number; rank: number } {
  const h = murmur3(subject, SEED);
  // Rank of the first 1 bit in the remaining 24 bits (1-based); the sentinel bit caps it at 25.
  return { index: h >>> (32 - INDEX_BITS), rank: Math.clz32(((h << INDEX_BITS) | (1 << (INDEX_BITS - 1))) >>> 0) + 1 };
}

export function addSubject(sketch: SubjectSketch, subject: string): void {
  const { index, rank } = registerOf(subject);
  if (rank > sketch[index]!) sketch[index] = rank;
}

/**
 * Whether a sketch can have seen `subject`: adding it would leave the sketch unchanged. A subject
 * that was added always passes; one that was not passes by chance only when its register happens to
 * be at least its rank, so a list of subjects the sketch plainly never saw is caught.
 */
export function sketchMayContain(sketch: Uint8Array, subject: string): boolean {
  const { index, rank } = registerOf(subject);
  return sketch[index]! >= rank;
}

/** Folds `other` into `into` (the union of both sets of subjects). */
export function mergeSketch(into: SubjectSketch, other: Uint8Array): void {
  for (let i = 0; i < SKETCH_REGISTERS; i++) if (other[i]! > into[i]!) into[i] = other[i]!;
}

export function estimateSubjects(sketch: Uint8Array): number {
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < SKETCH_REGISTERS; i++) {
    const r = sketch[i]!;
    sum += 2 ** -r;
    if (r === 0) zeros++;
  }
  if (zeros === SKETCH_REGISTERS) return 0;
  const raw = (ALPHA * SKETCH_REGISTERS * SKETCH_REGISTERS) / sum;
  if (raw <= 2.5 * SKETCH_REGISTERS && zeros > 0) return Math.round(SKETCH_REGISTERS * Math.log(SKETCH_REGISTERS / zeros));
  if (raw > TWO_32 / 30) return Math.round(-TWO_32 * Math.log(1 - raw / TWO_32));
  return Math.round(raw);
}
