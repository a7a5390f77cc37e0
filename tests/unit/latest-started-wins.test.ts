import { describe, expect, it } from "vitest";
import { latestStartedWins } from "../../lib/evaluation/latest-started-wins";

/** A promise the test settles by hand, so loads can finish in any order. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe("latestStartedWins", () => {
  it("drops a result that finishes after a later-started load's was applied", async () => {
    const applied: string[] = [];
    const load = latestStartedWins((v: string) => applied.push(v));
    const stale = deferred<string>();
    const fresh = deferred<string>();
    const first = load(() => stale.promise); // e.g. the poll, reading just before a revocation
    const second = load(() => fresh.promise); // the reload the revocation's NOTIFY started
    fresh.resolve("without the revoked token");
    expect(await second).toBe(true);
    stale.resolve("with the revoked token");
    expect(await first).toBe(false);
    expect(applied).toEqual(["without the revoked token"]);
  });

  it("applies results in start order when they finish in start order", async () => {
    const applied: number[] = [];
    const load = latestStartedWins((v: number) => applied.push(v));
    const a = deferred<number>();
    const b = deferred<number>();
    const first = load(() => a.promise);
    const second = load(() => b.promise);
    a.resolve(1);
    expect(await first).toBe(true);
    b.resolve(2);
    expect(await second).toBe(true);
    expect(applied).toEqual([1, 2]);
  });

  it("a failed load applies nothing and does not block the ones after it", async () => {
    const applied: number[] = [];
    const load = latestStartedWins((v: number) => applied.push(v));
    await expect(load(() => Promise.reject(new Error("database down")))).rejects.toThrow("database down");
    expect(await load(() => Promise.resolve(7))).toBe(true);
    expect(applied).toEqual([7]);
  });

  it("a failed later load does not make an earlier one's result stale", async () => {
    const applied: number[] = [];
    const load = latestStartedWins((v: number) => applied.push(v));
    const slow = deferred<number>();
    const first = load(() => slow.promise);
    await expect(load(() => Promise.reject(new Error("timeout")))).rejects.toThrow("timeout");
    slow.resolve(3);
    expect(await first).toBe(true);
    expect(applied).toEqual([3]);
  });
});
