"use client";

import type { ReactElement, ReactNode } from "react";
import {
  AreaChart,
  CartesianGrid,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
  type DotItemDotProps,
  type YAxisProps,
} from "recharts";
import type { MetricMarker } from "@/lib/metrics/metrics-schemas";
import { COLORS, isLonePoint, markerLabels, timeLabel, tooltipLabel, type Row } from "./chart-data";
import { ChartLegend, legendEntries } from "./chart-legend";

/** What every chart of one load shares: the rows, the window they cover and what was done to the flag in it. */
export interface ChartData {
  rows: Row[];
  from: number;
  to: number;
  windowSeconds: number;
  markers: MetricMarker[];
}

const MARKER_COLOR: Record<string, string> = {
  advance: "#4f46e5",
  complete: "#059669",
  pause: "#64748b",
  resume: "#4f46e5",
  rollback: "#b45309",
  kill: "#dc2626",
  restore: "#059669",
};

/**
 * One chart's card and everything the charts have in common: grid, time axis, the markers, tooltip
 * and legend (chart-legend.tsx, listing the named series). `children` are the chart's own series and
 * threshold lines. They are passed as elements (see `variantLines`, `thresholdLine`) and stay direct
 * children of the recharts chart.
 */
export function ChartFrame({
  title,
  testId,
  data,
  areas = false,
  yAxis,
  format,
  legend = true,
  children,
}: {
  title: string;
  testId: string;
  data: ChartData;
  /** An area chart instead of a line chart. */
  areas?: boolean;
  yAxis: Pick<YAxisProps, "domain" | "width" | "allowDecimals">;
  /** How the tooltip shows a value; recharts' default when left out. */
  format?: (value: unknown) => string;
  legend?: boolean;
  children: ReactNode;
}) {
  const Chart = areas ? AreaChart : LineChart;
  const labels = markerLabels(
    data.markers.map((m) => Date.parse(m.t)),
    data.from,
    data.to,
  );
  return (
    <figure className="rounded-lg ring-1 ring-slate-200 p-3" data-testid={testId}>
      <figcaption className="mb-2 text-sm font-medium text-slate-700">{title}</figcaption>
      <div className="h-56">
        <ResponsiveContainer width="100%" height="100%">
          {/* Not recharts' unnamed "application" tab stop: a named picture, its numbers in the totals. */}
          <Chart
            data={data.rows}
            margin={{ top: 5, right: 10, bottom: 0, left: 0 }}
            accessibilityLayer={false}
            role="img"
            aria-label={`${title}, over time`}
          >
            <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
            <XAxis
              dataKey="t"
              type="number"
              scale="time"
              domain={[data.from, data.to]}
              tickFormatter={timeLabel(data.windowSeconds)}
              tick={{ fontSize: 11 }}
              minTickGap={24}
            />
            {/* Phase changes, kills and restores on every chart, so a change in the numbers can be
                read against what was done to the flag. */}
            {data.markers.map((m, i) => (
              <ReferenceLine
                key={`${m.t}-${m.kind}`}
                x={Date.parse(m.t)}
                zIndex={ABOVE_LINES}
                stroke={MARKER_COLOR[m.kind]}
                strokeDasharray={m.kind === "kill" ? undefined : "2 3"}
                label={{
                  value: m.kind,
                  fontSize: 10,
                  fill: MARKER_COLOR[m.kind],
                  position: labels[i]!.position,
                  // Recharts' default 5 px from the corner, a row further down per nearby marker.
                  offset: 5 + 12 * labels[i]!.row,
                  ...LABEL_HALO,
                }}
                data-testid={`marker-${m.kind}`}
              />
            ))}
            <YAxis tick={{ fontSize: 11 }} {...yAxis} />
            <Tooltip labelFormatter={tooltipLabel} {...(format ? { formatter: format } : {})} />
            {children}
          </Chart>
        </ResponsiveContainer>
      </div>
      {legend ? <ChartLegend entries={legendEntries(children)} /> : null}
    </figure>
  );
}

/** The "on" and "off" series of one measure (`on_success`, `off_success`, …). */
export function variantLines(measure: string, label: string, dash?: string): ReactElement[] {
  return (["on", "off"] as const).map((v) => (
    <Line
      key={`${v}_${measure}`}
      dataKey={`${v}_${measure}`}
      name={`${v} ${label}`}
      stroke={COLORS[v]}
      strokeDasharray={dash}
      dot={isolatedDot}
      isAnimationActive={false}
      connectNulls={false}
      type="linear"
    />
  ));
}

/**
 * A line's dot, drawn only where a point has no neighbour to draw a line to: a bucket with traffic
 * between empty ones (a gap, not a zero) would otherwise not show at all. Elsewhere the line says it,
 * and the tooltip's active dot marks the point under the pointer. A dot on every point put ~640
 * circles on a flag page (a third of its DOM), which the browser lays out and paints on each refresh.
 */
export function isolatedDot({ points, index, cx, cy, stroke }: DotItemDotProps): ReactNode {
  if (cx == null || cy == null || !isLonePoint(points, index)) return null;
  return <circle className="recharts-dot recharts-line-dot" cx={cx} cy={cy} r={2.5} stroke={stroke} strokeWidth={1} fill="#fff" />;
}

/** The current phase's criterion for this chart, as a red dashed line. */
export function thresholdLine(y: number, label: string, position: "insideBottomRight" | "insideTopRight"): ReactElement {
  return (
    <ReferenceLine
      y={y}
      stroke="#dc2626"
      strokeDasharray="4 4"
      zIndex={ABOVE_LINES}
      label={{ value: label, fontSize: 11, fill: "#dc2626", position, ...LABEL_HALO }}
    />
  );
}

/**
 * Threshold and marker lines, with their labels, are drawn over the series (recharts draws lines at
 * z-index 400, reference lines too by default, in order) with a white outline under the letters: the
 * success line crossing "min 99 %" made it hard to read exactly where the line dips below it.
 */
const ABOVE_LINES = 450;
const LABEL_HALO = { stroke: "#fff", strokeWidth: 4, strokeLinejoin: "round", paintOrder: "stroke" } as const;
