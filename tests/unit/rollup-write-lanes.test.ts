import { afterEach, describe, expect, it, vi } from "vitest";
import { isDatabaseUnavailableError } from "../../lib/db/availability";
import { inRollupLane, LANE_WIDTH, MAX_WAIT_MS, rollupLaneDepth } from "../../lib/metrics/rollup-write-lanes";

/** A write that runs until released, recording when it started. */
function gate(log: string[], name: string) {
  let release!: () => void;
  let failWith!: (err: unknown) => void;
  const done = new Promise<string>((resolve, reject) => {
    release = () => resolve(name);
    failWith = reject;
  });
  return {
    write: () => {
      log.push(`start ${name}`);
      return done;
    },
    release,
    failWith,
  };
}

const tick = () => new Promise((r) => setImmediate(r));

afterEach(() => vi.useRealTimers());

describe("rollup write lanes", () => {
  it("runs at most LANE_WIDTH writes of an environment at once, the rest in arrival order", async () => {
    const log: string[] = [];
    const gates = ["a", "b", "c", "d"].map((n) => gate(log, n));
    const results = gates.map((g) => inRollupLane("lanes-order", g.write));
    await tick();
    expect(log).toEqual(["start a", "start b"]);
    expect(rollupLaneDepth("lanes-order")).toEqual({ running: LANE_WIDTH, queued: 2 });
    gates[1]!.release();
    await tick();
    expect(log).toEqual(["start a", "start b", "start c"]);
    gates[0]!.release();
    gates[2]!.release();
    gates[3]!.release();
    expect(await Promise.all(results)).toEqual(["a", "b", "c", "d"]);
    expect(rollupLaneDepth("lanes-order")).toEqual({ running: 0, queued: 0 });
  });

  it("does not make one environment wait for another", async () => {
    const log: string[] = [];
    const held = [gate(log, "x1"), gate(log, "x2")];
    const other = gate(log, "y");
    const running = held.map((g) => inRollupLane("lanes-x", g.write));
    const result = inRollupLane("lanes-y", other.write);
    await tick();
    expect(log).toContain("start y");
    other.release();
    held.forEach((g) => g.release());
    await Promise.all([...running, result]);
  });

  it("fails every queued write at once when the database is unavailable, and frees the lane", async () => {
    const log: string[] = [];
    const gates = ["a", "b", "c", "d"].map((n) => gate(log, n));
    const results = gates.map((g) =>
      inRollupLane("lanes-down", g.write).then(
        () => "ok",
        (err: unknown) => err,
      ),
    );
    await tick();
    const outage = Object.assign(new Error("Connection terminated unexpectedly"), {});
    gates[0]!.failWith(outage);
    const [a, , c, d] = await Promise.all([results[0], tick().then(() => null), results[2], results[3]]);
    expect(a).toBe(outage);
    expect(isDatabaseUnavailableError(c)).toBe(true);
    expect(isDatabaseUnavailableError(d)).toBe(true);
    expect(log).toEqual(["start a", "start b"]);
    gates[1]!.release();
    expect(await results[1]).toBe("ok");
    expect(rollupLaneDepth("lanes-down")).toEqual({ running: 0, queued: 0 });
  });

  it("does not fail the queue for a write's own error", async () => {
    const log: string[] = [];
    const gates = ["a", "b", "c"].map((n) => gate(log, n));
    const results = gates.map((g) =>
      inRollupLane("lanes-bug", g.write).then(
        () => "ok",
        (err: unknown) => err,
      ),
    );
    await tick();
    const bug = new RangeError("bad batch");
    gates[0]!.failWith(bug);
    expect(await results[0]).toBe(bug);
    await tick();
    expect(log).toContain("start c");
    gates[1]!.release();
    gates[2]!.release();
    expect(await Promise.all([results[1], results[2]])).toEqual(["ok", "ok"]);
  });

  it("answers 'unavailable' to a write that waited longer than MAX_WAIT_MS, and leaves the line", async () => {
    vi.useFakeTimers();
    const log: string[] = [];
    const gates = ["a", "b", "c"].map((n) => gate(log, n));
    const results = gates.map((g) =>
      inRollupLane("lanes-slow", g.write).then(
        () => "ok",
        (err: unknown) => err,
      ),
    );
    await vi.advanceTimersByTimeAsync(MAX_WAIT_MS - 1);
    expect(rollupLaneDepth("lanes-slow").queued).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(isDatabaseUnavailableError(await results[2])).toBe(true);
    expect(rollupLaneDepth("lanes-slow")).toEqual({ running: 2, queued: 0 });
    gates[0]!.release();
    gates[1]!.release();
    expect(await Promise.all([results[0], results[1]])).toEqual(["ok", "ok"]);
    expect(log).not.toContain("start c");
  });
});
