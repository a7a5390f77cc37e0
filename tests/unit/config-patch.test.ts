import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import {
  applyPatch,
  compileSnapshot,
  diffSnapshot,
  sameRule,
  type CompiledSnapshot,
  type ConfigPatch,
} from "../../lib/domain/config-snapshot";
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

function randomRule(rnd: () => number, step: number): FlagRule {
  return {
    enabled: rnd() < 0.7,
    killed: rnd() < 0.1,
    rolloutPercent: Math.floor(rnd() * 101),
    allowlist: rnd() < 0.3 ? [`qa-${step}`] : [],
    version: step + 1,
    ...(rnd() < 0.2 ? { groupId: `group-${step}` } : {}),
  };
}

function expectSame(patched: CompiledSnapshot, full: CompiledSnapshot): void {
  // Called ~1,500 times with ~30 comparisons each: strict deep equality (which implies toEqual's) is
  // checked directly first, since expect costs far more per call than the comparison (1.3 of the
  // file's 2.3 CPU-seconds). Anything it finds different goes through the expects below, which
  // decide and explain.
  const sameFlags = [...full.flags].every(([k, f]) => isDeepStrictEqual(patched.flags.get(k), f));
  if (
    patched.version === full.version &&
    patched.flags.size === full.flags.size &&
    sameFlags &&
    isDeepStrictEqual(wire(patched), wire(full))
  )
    return;
  expect(patched.version).toBe(full.version);
  expect(wire(patched)).toEqual(wire(full));
  expect([...patched.flags.keys()].sort()).toEqual([...full.flags.keys()].sort());
  for (const [k, f] of full.flags) expect(patched.flags.get(k)).toEqual(f);
}

describe("patching a snapshot", () => {
  it.each([1, 2, 3, 4, 5])("one flag at a time: any sequence gives the snapshot a full reload gives (seed %i)", (seed) => {
    const rnd = prng(seed);
    const truth: Record<string, FlagRule> = {};
    let patched = compileSnapshot({ environment: "production", version: 1, flags: {} });
    for (let step = 0; step < 300; step++) {
      const key = `flag-${Math.floor(rnd() * 25)}`;
      const version = patched.version + 1;
      const patch: ConfigPatch = { environment: "production", from: patched.version, version, flags: {}, removed: [] };
      if (rnd() < 0.15) {
        patch.removed.push(key);
        delete truth[key];
      } else {
        patch.flags[key] = truth[key] = randomRule(rnd, step);
      }
      const before = patched;
      patched = applyPatch(patched, patch);
      expect(before.version).toBe(version - 1); // the old snapshot is untouched
      expectSame(patched, compileSnapshot({ environment: "production", version, flags: { ...truth } }));
    }
  });

  it.each([11, 12, 13, 14, 15])("the wire patches a server diffs, applied by a client, give what a full reload gives (seed %i)", (seed) => {
    const rnd = prng(seed);
    const truth: Record<string, FlagRule> = {};
    let server = compileSnapshot({ environment: "production", version: 1, flags: {} });
    // The client starts from the snapshot as sent, and from then on sees only patches.
    let client = compileSnapshot(JSON.parse(server.json));
    for (let step = 0; step < 200; step++) {
      // A burst: several flags added, changed, removed or rewritten unchanged between two versions.
      const before = structuredClone(truth);
      for (let n = Math.floor(rnd() * 6); n >= 0; n--) {
        const key = `flag-${Math.floor(rnd() * 40)}`;
        const r = rnd();
        if (r < 0.15) delete truth[key];
        else if (r < 0.3 && truth[key])
          truth[key] = { ...truth[key], allowlist: [...truth[key].allowlist] }; // equal content, new object
        else truth[key] = randomRule(rnd, step);
      }
      const changed = Object.keys(truth).filter((k) => JSON.stringify(truth[k]) !== JSON.stringify(before[k]));
      const removed = Object.keys(before).filter((k) => !(k in truth));
      const loaded = { environment: "production", version: server.version + 1 + Math.floor(rnd() * 3), flags: { ...truth } };
      const patch = diffSnapshot(server, loaded);
      // Only what changed travels.
      expect(Object.keys(patch.flags).sort()).toEqual(changed.sort());
      expect([...patch.removed].sort()).toEqual(removed.sort());
      server = applyPatch(server, patch);
      const received = JSON.parse(JSON.stringify(patch)) as ConfigPatch;
      expect(received.from).toBe(client.version);
      client = applyPatch(client, received);
      const full = compileSnapshot(loaded);
      expectSame(server, full);
      expectSame(client, full);
    }
  });

  it("unchanged flags keep their compiled form; the replaced snapshot stays as it was", () => {
    const a: FlagRule = { enabled: true, killed: false, rolloutPercent: 50, allowlist: ["x"], version: 1 };
    const before = compileSnapshot({ environment: "e", version: 1, flags: { a, b: { ...a, version: 2 } } });
    const json = before.json;
    const after = applyPatch(before, { environment: "e", from: 1, version: 2, flags: { b: { ...a, version: 3 } }, removed: [] });
    expect(after.flags.get("a")).toBe(before.flags.get("a"));
    expect(after.flags.get("b")!.rule.version).toBe(3);
    expect(before.flags.get("b")!.rule.version).toBe(2);
    expect(before.json).toBe(json);
    expect(Object.isFrozen(after)).toBe(true);
  });

  it("sameRule compares every field", () => {
    const a: FlagRule = { enabled: true, killed: false, rolloutPercent: 50, allowlist: ["x", "y"], version: 1, groupId: "g" };
    expect(sameRule(a, { ...a, allowlist: ["x", "y"] })).toBe(true);
    for (const other of [
      { enabled: false },
      { killed: true },
      { rolloutPercent: 51 },
      { allowlist: ["x"] },
      { allowlist: ["y", "x"] },
      { version: 2 },
      { groupId: undefined },
    ]) {
      expect(sameRule(a, { ...a, ...other })).toBe(false);
    }
  });
});

describe("segments in snapshots and patches", () => {
  const staff = (domain: string) => ({
    id: 7,
    name: "Staff",
    constraints: [{ contextName: "email", operator: "STR_ENDS_WITH" as const, values: [domain] }],
  });
  const rule = (segments: number[]): FlagRule => ({
    enabled: true,
    killed: false,
    rolloutPercent: 0,
    allowlist: [],
    version: 1,
    targeting: {
      strategies: [{ rollout: 100, stickiness: "default", groupId: "g", constraints: [], segments, variants: [] }],
      variants: [],
      dependencies: [],
    },
  });
  const plain: FlagRule = { enabled: true, killed: false, rolloutPercent: 5, allowlist: [], version: 1 };

  it("a full reload's diff carries a changed segment with every flag using it, and the client's copy ends up equal", () => {
    const current = compileSnapshot({
      environment: "production",
      version: 1,
      flags: { a: rule([7]), b: rule([7]), c: plain },
      segments: { "7": staff("@acme.com") },
    });
    expect(JSON.parse(current.json).segments).toEqual({ "7": staff("@acme.com") });
    const next = {
      environment: "production",
      version: 2,
      flags: { a: rule([7]), b: rule([7]), c: plain },
      segments: { "7": staff("@acme.org") },
    };
    const patch = diffSnapshot(current, next);
    expect(patch.segments).toEqual({ "7": staff("@acme.org") });
    expect(Object.keys(patch.flags).sort()).toEqual(["a", "b"]);
    const applied = applyPatch(current, JSON.parse(JSON.stringify(patch)) as ConfigPatch);
    expect(JSON.parse(applied.json)).toEqual(next);
  });

  it("no segment change: no segments in the patch, and a snapshot without segments has none in its JSON", () => {
    const current = compileSnapshot({ environment: "production", version: 1, flags: { c: plain } });
    expect(JSON.parse(current.json)).not.toHaveProperty("segments");
    const patch = diffSnapshot(current, { environment: "production", version: 2, flags: { c: { ...plain, rolloutPercent: 6 } } });
    expect(patch).not.toHaveProperty("segments");
    expect(Object.keys(patch.flags)).toEqual(["c"]);
  });
});
