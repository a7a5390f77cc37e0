/**
 * MurmurHash3 x86 32-bit over the UTF-8 bytes of a string: the hash Unleash buckets users with, so
 * teams migrating from Unleash keep every user in the same bucket.
 *
 * Hot path of every evaluation: ASCII strings (the common case) are hashed straight from their char
 * codes without allocating; anything else is encoded to UTF-8 first.
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const encoder = new TextEncoder();

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function mixK(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function mixH(h: number, k: number): number {
  h ^= mixK(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashBytes(at: (i: number) => number, length: number, seed: number): number {
  let h = seed | 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    h = mixH(h, at(i) | (at(i + 1) << 8) | (at(i + 2) << 16) | (at(i + 3) << 24));
  }
  let k = 0;
  switch (length & 3) {
    case 3:
      k ^= at(blocks + 2) << 16;
    // falls through
    case 2:
      k ^= at(blocks + 1) << 8;
    // falls through
    case 1:
      k ^= at(blocks);
      h ^= mixK(k);
  }
  return finish(h, length);
}

/**
 * murmur3 of `${group}:${id}` (Unleash's bucketing input) without building that string: the hot
 * path of every percentage rollout. Streams the ASCII characters of both parts in one pass; a
 * non-ASCII character sends the joined string through the UTF-8 path instead. Equal to
 * `murmur3(\`${group}:${id}\`, seed)` for every input (tests/unit/bucketing.test.ts).
 */
export function murmur3Joined(group: string, id: string, seed = 0): number {
  let h = seed | 0;
  let word = 0;
  let filled = 0; // bytes of `word` taken so far (0–3)
  const total = group.length + 1 + id.length;
  for (let i = 0; i < total; i++) {
    const c = i < group.length ? group.charCodeAt(i) : i === group.length ? 0x3a : id.charCodeAt(i - group.length - 1);
    if (c > 0x7f) return murmur3(`${group}:${id}`, seed);
    word |= c << (filled << 3);
    if (++filled === 4) {
      h = mixH(h, word);
      word = 0;
      filled = 0;
    }
  }
  if (filled > 0) h ^= mixK(word);
  return finish(h, total);
}

export function murmur3(input: string, seed = 0): number {
  if (isAscii(input)) return hashBytes((i) => input.charCodeAt(i), input.length, seed);
  const bytes = encoder.encode(input);
  return hashBytes((i) => bytes[i]!, bytes.length, seed);
}
