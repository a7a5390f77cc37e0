import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { Area } from "recharts";
import { describe, expect, it } from "vitest";
import { COLORS } from "@/components/metrics/chart-data";
import { thresholdLine, variantLines } from "@/components/metrics/chart-frame";
import { ChartLegend, legendEntries } from "@/components/metrics/chart-legend";

// The charts' legend is HTML listing the named series the chart is given (what recharts' <Legend>
// listed), so it must follow the chart's children: every series, in order, no threshold lines.

describe("legendEntries", () => {
  it("lists a latency chart's six series in order, with their dashes, and not its threshold line", () => {
    const DASH = { p50: undefined, p95: "6 3", p99: "2 3" } as const;
    const children = [
      ...(["p50", "p95", "p99"] as const).flatMap((p) => variantLines(p, p, DASH[p])),
      thresholdLine(250, "max p95 250 ms", "insideTopRight"),
    ];
    expect(legendEntries(children)).toEqual([
      { name: "on p50", color: COLORS.on, dash: undefined, square: false },
      { name: "off p50", color: COLORS.off, dash: undefined, square: false },
      { name: "on p95", color: COLORS.on, dash: "6 3", square: false },
      { name: "off p95", color: COLORS.off, dash: "6 3", square: false },
      { name: "on p99", color: COLORS.on, dash: "2 3", square: false },
      { name: "off p99", color: COLORS.off, dash: "2 3", square: false },
    ]);
  });

  it("gives areas drawn as squares a square swatch, and skips nulls and unnamed elements", () => {
    const children = [
      createElement(Area, { key: "on", dataKey: "on_requests", name: "on", legendType: "square", stroke: COLORS.on, fill: COLORS.on }),
      null,
      false,
      createElement(Area, { key: "x", dataKey: "x", stroke: "#000" }),
    ];
    expect(legendEntries(children)).toEqual([{ name: "on", color: COLORS.on, dash: undefined, square: true }]);
  });
});

describe("ChartLegend", () => {
  it("draws each entry's swatch in its colour and style, with its name as text", () => {
    const html = renderToStaticMarkup(
      createElement(ChartLegend, {
        entries: [
          { name: "on p50", color: "#4f46e5", square: false },
          { name: "on p95", color: "#4f46e5", dash: "6 3", square: false },
          { name: "on p99", color: "#4f46e5", dash: "2 3", square: false },
          { name: "off", color: "#64748b", square: true },
        ],
      }),
    );
    const items = html.split("<li").slice(1);
    expect(items.map((item) => item.replace(/<[^>]*>/g, "").replace(/^[^>]*>/, ""))).toEqual(["on p50", "on p95", "on p99", "off"]);
    expect(items[0]).toContain("border-top-style:solid");
    expect(items[1]).toContain("border-top-style:dashed");
    expect(items[2]).toContain("border-top-style:dotted");
    expect(items[3]).toContain("background-color:#64748b");
  });

  it("draws nothing for a chart with no named series", () => {
    expect(renderToStaticMarkup(createElement(ChartLegend, { entries: [] }))).toBe("");
  });
});
