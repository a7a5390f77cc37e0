"use client";

import { Area } from "recharts";
import { COLORS } from "./chart-data";
import { ChartFrame, type ChartData } from "./chart-frame";

/**
 * Requests per bucket, on stacked over off, as steps: each bucket's count spans its width as a bar's
 * would. Two shapes in all where bars drew one per bucket and series (360 elements at 120 buckets, a
 * third of a flag page). Empty buckets are 0 requests (chart-data.ts), so there are no gaps to lose.
 */
export function RequestsChart({ data }: { data: ChartData }) {
  return (
    <ChartFrame title="Requests per bucket" testId="chart-requests" data={data} areas yAxis={{ width: 52, allowDecimals: false }}>
      <Area
        dataKey="on_requests"
        name="on"
        stackId="r"
        type="step"
        legendType="square"
        stroke={COLORS.on}
        fill={COLORS.on}
        fillOpacity={0.85}
        isAnimationActive={false}
      />
      <Area
        dataKey="off_requests"
        name="off"
        stackId="r"
        type="step"
        legendType="square"
        stroke={COLORS.off}
        fill={COLORS.off}
        fillOpacity={0.85}
        isAnimationActive={false}
      />
    </ChartFrame>
  );
}
