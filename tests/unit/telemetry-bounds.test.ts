import { describe, expect, it } from "vitest";
import { LATENCY_SLOTS, latencySlot } from "../../lib/domain/latency-buckets";
import { addSubject, emptySketch, sketchMayContain } from "../../lib/domain/subject-sketch";
import { latencySumRange, MAX_LATENCY_MS } from "../../lib/metrics/telemetry-bounds";

describe("latencySumRange", () => {
  it("holds every sum of latencies that fall in the histogram's slots, and nothing far outside", () => {
    const latencies = [0, 5, 5.000001, 10, 99.9, 10_000, 10_000.5, MAX_LATENCY_MS];
    const slots = new Array<number>(LATENCY_SLOTS).fill(0);
    let sum = 0;
    for (const l of latencies) {
      slots[latencySlot(l)]!++;
      sum += l;
    }
    const range = latencySumRange(slots);
    expect(range.min).toBeLessThanOrEqual(sum);
    expect(range.max).toBeGreaterThanOrEqual(sum);
    // By hand: lower edges 0+0+5+5+75+5000+10000+10000, upper 5+5+10+10+100+10000+3.6e6+3.6e6.
    expect(range.min).toBeCloseTo(25_085 - 25_085e-9 - 1e-3, 6);
    expect(range.max).toBeCloseTo(7_210_130 * (1 + 1e-9) + 1e-3, 6);
  });

  it("is exactly zero for an empty histogram, so any positive sum without requests is refused", () => {
    expect(latencySumRange(new Array<number>(LATENCY_SLOTS).fill(0))).toEqual({ min: 0, max: 1e-3 });
  });
});

describe("sketchMayContain", () => {
  it("is true for every subject added, and false for most others", () => {
    const sketch = emptySketch();
    for (let i = 0; i < 50; i++) addSubject(sketch, `member-${i}`);
    for (let i = 0; i < 50; i++) expect(sketchMayContain(sketch, `member-${i}`)).toBe(true);
    const strangers = Array.from({ length: 1000 }, (_, i) => `stranger-${i}`).filter((s) => sketchMayContain(sketch, s)).length;
    expect(strangers).toBeLessThan(200);
  });
});
