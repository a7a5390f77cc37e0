import { describe, expect, it } from "vitest";
import { compileSnapshot, patchSnapshot, type CompiledSnapshot } from "../../lib/domain/config-snapshot";
import type { FlagRule } from "../../lib/domain/evaluation";

/** Deterministic PRNG (mulberry32), so a failure replays. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const wire = (s: CompiledSnapshot) => JSON.parse(s.json) as { environment: string; version: number; flags: Record<string, FlagRule> };

describe("patching a snapshot one flag at a time", () => {
  it.each([1, 2, 3, 4, 5])("any sequence of changes gives the snapshot a full reload gives (seed %i)", (seed) => {
    const rnd = prng(seed);
    const truth: Record<string, FlagRule> = {};
    let patched = compileSnapshot({ environment: "production", version: 1, flags: {} });
    for (let step = 0; step < 300; step++) {
      const key = `flag-${Math.floor(rnd() * 25)}`;
      const version = patched.version + 1;
      let rule: FlagRule | null;
      if (rnd() < 0.15) {
        rule = null;
        delete truth[key];
      } else {
        rule = {
          enabled: rnd() < 0.7,
          killed: rnd() < 0.1,
          rolloutPercent: Math.floor(rnd() * 101),
          allowlist: rnd() < 0.3 ? [`qa-${step}`] : [],
          version: step + 1,
          ...(rnd() < 0.2 ? { groupId: `group-${step}` } : {}),
        };
        truth[key] = rule;
      }
      const before = patched;
      patched = patchSnapshot(patched, version, key, rule);
      expect(before.version).toBe(version - 1); // the old snapshot is untouched
      const full = compileSnapshot({ environment: "production", version, flags: { ...truth } });
      expect(patched.version).toBe(full.version);
      expect(wire(patched).flags).toEqual(wire(full).flags);
      expect([...patched.flags.keys()].sort()).toEqual([...full.flags.keys()].sort());
      for (const [k, f] of full.flags) expect(patched.flags.get(k)).toEqual(f);
    }
  });
});
