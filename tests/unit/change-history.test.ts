import { describe, expect, it } from "vitest";
import { ChangeHistory } from "../../lib/evaluation/change-history";
import type { ConfigPatch } from "../../lib/domain/config-snapshot";

const patch = (from: number, version: number, environment = "production", flags: ConfigPatch["flags"] = {}): ConfigPatch => ({
  environment,
  from,
  version,
  flags,
  removed: [],
});

describe("ChangeHistory", () => {
  it("answers with every patch from the client's version to the current one, in order", () => {
    const h = new ChangeHistory({ maxPatches: 10, maxBytes: 1 << 20 });
    for (let v = 1; v < 6; v++) h.record(patch(v, v + 1));
    expect(h.since("production", 6, 6)).toEqual([]);
    expect(h.since("production", 3, 6)!.map((p) => [p.from, p.version])).toEqual([
      [3, 4],
      [4, 5],
      [5, 6],
    ]);
    expect(h.since("production", 1, 6)!.length).toBe(5);
    // A version the history never passed through (coalesced or older than it), or another environment.
    expect(h.since("production", 0, 6)).toBeNull();
    expect(h.since("staging", 1, 6)).toBeNull();
    // The history must reach the current version, or it is not the one the snapshot came from.
    expect(h.since("production", 3, 7)).toBeNull();
  });

  it("covers coalesced steps: one patch may span several versions", () => {
    const h = new ChangeHistory({ maxPatches: 10, maxBytes: 1 << 20 });
    h.record(patch(1, 2));
    h.record(patch(2, 7));
    h.record(patch(7, 8));
    expect(h.since("production", 2, 8)!.map((p) => p.version)).toEqual([7, 8]);
    expect(h.since("production", 4, 8)).toBeNull(); // inside the coalesced step: a snapshot
  });

  it("keeps at most maxPatches and maxBytes per environment", () => {
    const h = new ChangeHistory({ maxPatches: 3, maxBytes: 1 << 20 });
    for (let v = 1; v <= 10; v++) h.record(patch(v, v + 1));
    expect(h.since("production", 8, 11)!.length).toBe(3);
    expect(h.since("production", 7, 11)).toBeNull();
    expect(h.size().patches).toBe(3);

    const one = JSON.stringify(patch(10, 11)).length;
    const bytes = new ChangeHistory({ maxPatches: 100, maxBytes: one * 2 + 1 });
    for (let v = 10; v <= 20; v++) bytes.record(patch(v, v + 1));
    expect(bytes.size().patches).toBe(2);
    expect(bytes.size().bytes).toBeLessThanOrEqual(one * 2 + 1);
    // A patch larger than the whole budget is sent live but not kept.
    bytes.record(
      patch(21, 22, "production", { big: { enabled: true, killed: false, rolloutPercent: 1, allowlist: ["x".repeat(500)], version: 1 } }),
    );
    expect(bytes.since("production", 21, 22)).toBeNull();
    expect(bytes.size().patches).toBe(0);
  });

  it("starts over at a patch that does not follow the last one, and on reset", () => {
    const h = new ChangeHistory({ maxPatches: 10, maxBytes: 1 << 20 });
    h.record(patch(1, 2));
    h.record(patch(2, 3));
    h.record(patch(5, 6));
    expect(h.since("production", 1, 6)).toBeNull();
    expect(h.since("production", 5, 6)!.length).toBe(1);
    h.reset("production");
    expect(h.since("production", 5, 6)).toBeNull();
    expect(h.size()).toEqual({ patches: 0, bytes: 0 });
  });

  it("serialises each patch once: the recorded JSON is what the stream sends", () => {
    const h = new ChangeHistory();
    const p = patch(1, 2, "production", { f: { enabled: true, killed: false, rolloutPercent: 100, allowlist: [], version: 4 } });
    const recorded = h.record(p);
    expect(JSON.parse(recorded.json)).toEqual(p);
    expect(recorded.bytes).toBe(Buffer.byteLength(recorded.json));
    expect(h.since("production", 1, 2)![0]).toBe(recorded);
  });
});
