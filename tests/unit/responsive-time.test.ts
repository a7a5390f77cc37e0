import { describe, expect, it } from "vitest";
import { afterResponsiveMs } from "../../lib/db/bounded-pool";
import { blockEventLoop as stall } from "../support/block-event-loop";

const expiry = (ms: number) => {
  const started = performance.now();
  let cancel = () => {};
  const expired = new Promise<number>((resolve) => (cancel = afterResponsiveMs(ms, () => resolve(performance.now() - started))));
  return { expired, cancel: () => cancel() };
};

describe("a bound counted in responsive time", () => {
  it("expires after its time when the process is responsive", async () => {
    const elapsed = await expiry(200).expired;
    expect(elapsed).toBeGreaterThanOrEqual(199);
    expect(elapsed).toBeLessThan(1500);
  });

  it("counts a stall of the event loop as one tick's most, not as its length", async () => {
    const { expired } = expiry(300);
    stall(900); // three times the bound, all at once
    const elapsed = await expired;
    // Had the stall counted, it would have expired at once after it; it counts 0.2 s, so 0.1 s more is needed.
    expect(elapsed).toBeGreaterThanOrEqual(900 + 100 - 1);
  });

  it("does not expire once cancelled", async () => {
    let fired = false;
    const cancel = afterResponsiveMs(50, () => (fired = true));
    cancel();
    const proof = expiry(150); // a second bound, three times as long, that does fire
    await proof.expired;
    expect(fired).toBe(false);
  });
});
