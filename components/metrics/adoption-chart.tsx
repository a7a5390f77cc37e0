"use client";

import { Line } from "recharts";
import { COLORS, pct } from "./chart-data";
import { ChartFrame, isolatedDot, type ChartData } from "./chart-frame";

export function AdoptionChart({ data }: { data: ChartData }) {
  return (
    <ChartFrame
      title="Adoption: share of evaluations served on (%)"
      testId="chart-adoption"
      data={data}
      yAxis={{ domain: [0, 100], width: 44 }}
      format={pct}
      legend={false}
    >
      <Line dataKey="adoption" name="adoption" stroke={COLORS.on} dot={isolatedDot} isAnimationActive={false} connectNulls={false} />
    </ChartFrame>
  );
}
