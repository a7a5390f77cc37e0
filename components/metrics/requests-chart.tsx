"use client";

import { Bar } from "recharts";
import { COLORS } from "./chart-data";
import { ChartFrame, type ChartData } from "./chart-frame";

export function RequestsChart({ data }: { data: ChartData }) {
  return (
    <ChartFrame title="Requests per bucket" testId="chart-requests" data={data} bars yAxis={{ width: 52, allowDecimals: false }}>
      <Bar dataKey="on_requests" name="on" stackId="r" fill={COLORS.on} isAnimationActive={false} />
      <Bar dataKey="off_requests" name="off" stackId="r" fill={COLORS.off} isAnimationActive={false} />
    </ChartFrame>
  );
}
