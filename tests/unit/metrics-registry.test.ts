// The metrics registry's exposition, read back by the strict parser the integration tests use.
import { describe, expect, it } from "vitest";
import { Registry } from "../../lib/server/metrics/registry";
import { decreasedCounters, parseExposition, sampleValue } from "../support/prometheus-text";

describe("metrics registry", () => {
  it("writes counters, gauges and histograms that a strict parser reads back", () => {
    const r = new Registry();
    const requests = r.counter<"route" | "code">({ name: "t_requests_total", help: "Requests.", labelNames: ["route", "code"] });
    const open = r.gauge({ name: "t_open", help: "Open things." });
    const latency = r.histogram<"route">({ name: "t_latency_seconds", help: "Latency.", labelNames: ["route"], buckets: [0.01, 0.1, 1] });
    requests.labels({ route: "/a", code: "2xx" }).inc();
    requests.labels({ route: "/a", code: "2xx" }).inc(2);
    requests.labels({ route: "/b", code: "5xx" }).inc();
    open.set(3);
    for (const v of [0.005, 0.05, 0.05, 0.5, 7]) latency.labels({ route: "/a" }).observe(v);

    const text = r.expose();
    expect(text).toContain("# TYPE t_latency_seconds histogram\n");
    expect(text).toContain('t_latency_seconds_bucket{route="/a",le="0.1"} 3\n');
    expect(text).toContain('t_latency_seconds_bucket{route="/a",le="+Inf"} 5\n');
    const families = parseExposition(text);
    expect(families.get("t_requests_total")!.type).toBe("counter");
    expect(sampleValue(families, "t_requests_total", { route: "/a", code: "2xx" })).toBe(3);
    expect(sampleValue(families, "t_requests_total", { route: "/b", code: "5xx" })).toBe(1);
    expect(sampleValue(families, "t_open")).toBe(3);
    expect(sampleValue(families, "t_latency_seconds_count", { route: "/a" })).toBe(5);
    expect(sampleValue(families, "t_latency_seconds_sum", { route: "/a" })).toBeCloseTo(7.605);
    expect(sampleValue(families, "t_latency_seconds_bucket", { route: "/a", le: "0.01" })).toBe(1);
  });

  it("escapes label values and help text as the format requires", () => {
    const r = new Registry();
    const c = r.counter<"path">({ name: "t_odd_total", help: 'A help with \\ and\na newline and "quotes"', labelNames: ["path"] });
    const odd = 'a"b\\c\nd';
    c.labels({ path: odd }).inc();
    const text = r.expose();
    expect(text).toContain(String.raw`t_odd_total{path="a\"b\\c\nd"} 1`);
    expect(text).toContain(String.raw`# HELP t_odd_total A help with \\ and\na newline and "quotes"`);
    const families = parseExposition(text);
    expect(families.get("t_odd_total")!.help).toBe('A help with \\ and\na newline and "quotes"');
    expect(sampleValue(families, "t_odd_total", { path: odd })).toBe(1);
  });

  it("refuses what would be an invalid exposition", () => {
    const r = new Registry();
    expect(() => r.counter({ name: "t_bad-name_total", help: "x" })).toThrow(/invalid metric name/);
    expect(() => r.counter({ name: "t_no_suffix", help: "x" })).toThrow(/_total/);
    expect(() => r.gauge<"__x">({ name: "t_g", help: "x", labelNames: ["__x"] })).toThrow(/invalid label name/);
    expect(() => r.histogram<"le">({ name: "t_h", help: "x", labelNames: ["le"] })).toThrow(/reserved/);
    expect(() => r.histogram({ name: "t_h2", help: "x", buckets: [1, 1] })).toThrow(/increasing/);
    // A name taken by another kind, or with other labels, is a mistake.
    const g = r.gauge({ name: "t_twice", help: "x" });
    expect(() => r.counter({ name: "t_twice", help: "x" })).toThrow(/twice/);
    expect(() => r.gauge<"a">({ name: "t_twice", help: "x", labelNames: ["a"] })).toThrow(/twice/);
    // The same metric again (a re-opened database session registering its collectors) is the one
    // already there, with its series: one family in the exposition, not two.
    g.set(7);
    const again = r.gauge({ name: "t_twice", help: "x" });
    expect(again).toBe(g);
    expect(r.expose().match(/^t_twice /gm)).toEqual(["t_twice "]);
    expect(sampleValue(parseExposition(r.expose()), "t_twice")).toBe(7);
    const c = r.counter<"a">({ name: "t_c_total", help: "x", labelNames: ["a"] });
    expect(() => c.labels({} as { a: string })).toThrow(/missing/);
  });

  it("keeps counters monotonic: negative increments are ignored, copies from elsewhere never lower them", () => {
    const r = new Registry();
    const c = r.counter<"k">({ name: "t_mono_total", help: "x", labelNames: ["k"] });
    c.labels({ k: "a" }).inc(5);
    c.labels({ k: "a" }).inc(-3);
    c.set({ k: "b" }, 10);
    const before = parseExposition(r.expose());
    c.set({ k: "b" }, 4);
    c.set({ k: "a" }, 9);
    const after = parseExposition(r.expose());
    expect(sampleValue(after, "t_mono_total", { k: "a" })).toBe(9);
    expect(sampleValue(after, "t_mono_total", { k: "b" })).toBe(10);
    expect(decreasedCounters(before, after)).toEqual([]);
  });

  it("runs collectors before each scrape", () => {
    const r = new Registry();
    const g = r.gauge({ name: "t_collected", help: "x" });
    let n = 0;
    r.onCollect(() => g.set(++n));
    expect(sampleValue(parseExposition(r.expose()), "t_collected")).toBe(1);
    expect(sampleValue(parseExposition(r.expose()), "t_collected")).toBe(2);
  });
});

describe("the test parser is strict", () => {
  it.each([
    ["a bad metric name", "1abc 1\n"],
    ["a bad escape in a label value", 'x{a="\\t"} 1\n'],
    ["an unterminated label value", 'x{a="b} 1\n'],
    ["a label twice", 'x{a="1",a="2"} 1\n'],
    ["a value that is not a number", "x one\n"],
    ["a missing final newline", "x 1"],
    ["a split family", '# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx{a="1"} 2\n'],
    ["a TYPE after samples", "x 1\n# TYPE x gauge\n"],
    ["a negative counter", "# TYPE x_total counter\nx_total -1\n"],
    ["a histogram without +Inf", '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ["a histogram whose +Inf differs from _count", '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 2\n'],
    ["decreasing buckets", '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="2"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n'],
    ["a series twice", "x 1\nx 2\n"],
  ])("refuses %s", (_what, text) => {
    expect(() => parseExposition(text)).toThrow();
  });
});
