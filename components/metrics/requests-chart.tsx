"use client";

import { Area } from "recharts";
import { COLORS } from "./chart-data";
import { ChartFrame, type ChartData } from "./chart-frame";

/**
 * Requests per bucket, on stacked over off, as steps: each bucket's count spans its width as a bar's
 * would. Two shapes in all where bars drew one per bucket and series (120 for an hour of 1-minute
 * buckets: ~350 of a flag page's ~1,300 elements). Empty buckets are 0 requests (chart-data.ts), so
 * there are no gaps to lose.
 */
export function RequestsChart({ data }: { data: ChartData }) {
  return (
    <ChartFrame title="Requests per bucket" testId="chart-requests" data={data} areas yAxis={{ width: 52, allowDecimals: false }}>
      {(["on", "off"] as const).map((variant) => (
        <Area
          key={variant}
          dataKey={`${variant}_requests`}
          name={variant}
          stackId="r"
          type="step"
          legendType="square"
          stroke={COLORS[variant]}
          fill={COLORS[variant]}
          fillOpacity={0.85}
          isAnimationActive={false}
        />
      ))}
    </ChartFrame>
  );
}
