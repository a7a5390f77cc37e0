"use client";

import { Line, LineChart, YAxis } from "recharts";

/** The line of `ErrorSparkline`: a flag's `on` error rate (%) over the last hour. */
export function SparklineLine({ points, alarming }: { points: { t: number; e: number | null }[]; alarming: boolean }) {
  return (
    <LineChart width={120} height={28} data={points} accessibilityLayer={false}>
      <YAxis hide domain={[0, "auto"]} />
      <Line type="monotone" dataKey="e" stroke={alarming ? "#dc2626" : "#059669"} dot={false} strokeWidth={2} isAnimationActive={false} />
    </LineChart>
  );
}
