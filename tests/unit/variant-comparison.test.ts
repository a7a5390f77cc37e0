import { describe, expect, it } from "vitest";
import { compareVariants, LATENCY_BASELINE_MINUTES, type VariantMinute } from "../../lib/domain/variant-comparison";
import { LATENCY_SLOTS, latencySlot } from "../../lib/domain/latency-buckets";

const T0 = Date.UTC(2026, 11, 3, 10, 0);
const slotsAt = (ms: number, n: number) => {
  const s = new Array<number>(LATENCY_SLOTS).fill(0);
  s[latencySlot(ms)] = n;
  return s;
};
/** `minutes` minutes of one variant with `requests` a minute and an error rate given per minute. */
function variant(name: string, minutes: number, requests: number, rate: (minute: number) => number, latencyMs = 20): VariantMinute[] {
  return Array.from({ length: minutes }, (_, i) => {
    const errors = Math.round(requests * rate(i));
    return { minute: T0 + i * 60_000, name, requests, errors, latencySumMs: requests * latencyMs, slots: slotsAt(latencyMs, requests) };
  });
}

describe("compareVariants", () => {
  it("finds the variant that errs more than control, at α/k, and clears the one that does not", () => {
    const rows = [
      ...variant("control", 30, 400, () => 0.01),
      ...variant("blue", 30, 400, () => 0.01),
      ...variant("green", 30, 400, () => 0.04, 90),
    ];
    const c = compareVariants(rows, "control");
    expect(c.control).toBe("control");
    expect(c.compared).toBe(2);
    expect(c.variants.map((v) => v.name)).toEqual(["control", "blue", "green"]);
    const [control, blue, green] = c.variants;
    expect(control!.vsControl).toBeNull();
    expect(green!.vsControl!.verdict).toBe("worse");
    expect(green!.vsControl!.evidence).toBeGreaterThanOrEqual(c.compared / c.alpha);
    expect(green!.vsControl!.ratio).toBeCloseTo(4, 0);
    expect(green!.vsControl!.errorRateDelta).toBeCloseTo(0.03, 3);
    expect(green!.vsControl!.explanation).toMatch(/green errs more than control/);
    expect(green!.p95Ms).toBe(100);
    expect(blue!.vsControl!.verdict).toBe("clear");
    expect(blue!.vsControl!.p).toBeGreaterThan(c.alpha / c.compared);
  });

  it("blames no variant for weather that hits every variant alike", () => {
    // An incident from minute 15: every variant's errors jump from 1 % to 20 %.
    const weather = (m: number) => (m >= 15 ? 0.2 : 0.01);
    const rows = [...variant("control", 30, 300, weather), ...variant("blue", 30, 300, weather)];
    const blue = compareVariants(rows, "control").variants.find((v) => v.name === "blue")!;
    expect(blue.vsControl!.verdict).toBe("clear");
    expect(blue.vsControl!.ratio).toBeCloseTo(1, 5);
  });

  it("does not judge a handful of reports, and compares nothing without the control variant", () => {
    const few = [...variant("control", 2, 10, () => 0), ...variant("blue", 2, 10, () => 0.5)];
    expect(compareVariants(few, "control").variants[1]!.vsControl!.verdict).toBe("insufficient");
    const none = compareVariants(few, "purple");
    expect(none.control).toBeNull();
    expect(none.compared).toBe(0);
    expect(none.variants.every((v) => v.vsControl === null)).toBe(true);
  });

  it("adds minutes up into buckets per variant", () => {
    const rows = [...variant("control", 10, 100, (m) => (m < 5 ? 0 : 0.1)), ...variant("blue", 10, 50, () => 0)];
    const series = compareVariants(rows, "control", 300_000).series;
    expect(series).toEqual([
      { t: T0, name: "blue", requests: 250, errorRate: 0, p95Ms: 25 },
      { t: T0, name: "control", requests: 500, errorRate: 0, p95Ms: 25 },
      { t: T0 + 300_000, name: "blue", requests: 250, errorRate: 0, p95Ms: 25 },
      { t: T0 + 300_000, name: "control", requests: 500, errorRate: 0.1, p95Ms: 25 },
    ]);
  });
});

/** A minute whose requests spread over latencies: [ms, count] pairs. */
function spread(name: string, minute: number, parts: [number, number][]): VariantMinute {
  const slots = new Array<number>(LATENCY_SLOTS).fill(0);
  for (const [ms, n] of parts) slots[latencySlot(ms)]! += n;
  const requests = parts.reduce((a, [, n]) => a + n, 0);
  return { minute: T0 + minute * 60_000, name, requests, errors: 0, latencySumMs: parts.reduce((a, [ms, n]) => a + ms * n, 0), slots };
}

describe("compareVariants: latency against control", () => {
  const usual: [number, number][] = [
    [20, 300],
    [40, 80],
    [80, 15],
    [300, 5],
  ];
  const slower: [number, number][] = [
    [20, 200],
    [40, 100],
    [80, 40],
    [300, 60],
  ];
  it("finds the slower variant, with the threshold frozen at control's p95 over its first minutes, and clears the same one", () => {
    const rows: VariantMinute[] = [];
    for (let m = 0; m < 60; m++)
      rows.push(spread("control", m, usual), spread("same", m, usual), spread("slow", m, m < 15 ? usual : slower));
    const c = compareVariants(rows, "control");
    const slow = c.variants.find((v) => v.name === "slow")!.vsControl!;
    const same = c.variants.find((v) => v.name === "same")!.vsControl!;
    expect(slow.verdict).toBe("insufficient"); // no errors anywhere: nothing to judge on errors
    expect(slow.latency!.verdict).toBe("worse");
    expect(slow.latency!.thresholdMs).toBeGreaterThan(40);
    expect(slow.latency!.explanation).toMatch(/slow is slower than control/);
    expect(same.latency!.verdict).toBe("clear");
    expect(same.latency!.thresholdMs).toBe(slow.latency!.thresholdMs);
  });

  it("blames no variant for a slowdown that hits every variant alike, and says nothing before control's baseline", () => {
    const rows: VariantMinute[] = [];
    for (let m = 0; m < 60; m++) {
      const now = m >= 30 && m < 45 ? slower : usual; // the weather: everyone slow for 15 minutes
      rows.push(spread("control", m, now), spread("b", m, now));
    }
    expect(compareVariants(rows, "control").variants[1]!.vsControl!.latency!.verdict).toBe("clear");
    const early = rows.filter((r) => r.minute < T0 + (LATENCY_BASELINE_MINUTES - 1) * 60_000);
    expect(compareVariants(early, "control").variants[1]!.vsControl!.latency).toBeNull();
  });
});
