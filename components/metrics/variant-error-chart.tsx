"use client";

import { Line } from "recharts";
import { pct } from "./chart-data";
import { ChartFrame, isolatedDot, type ChartData } from "./chart-frame";

/** Line colours per variant, in the order the API lists them (control first, drawn in slate). */
const PALETTE = ["#64748b", "#4f46e5", "#0891b2", "#c026d3", "#d97706", "#059669", "#dc2626", "#7c3aed"];

/** Each variant's error rate over time, control dashed: the chart of `VariantComparison`. */
export function VariantErrorChart({ data, names, control }: { data: ChartData; names: string[]; control: string | null }) {
  return (
    <ChartFrame
      title="Error rate by variant (%)"
      testId="chart-variant-errors"
      data={data}
      yAxis={{ domain: [0, "auto"], width: 44 }}
      format={pct}
    >
      {names.map((name, i) => (
        <Line
          key={name}
          dataKey={`v_${i}`}
          name={name === control ? `${name} (control)` : name}
          stroke={PALETTE[i % PALETTE.length]}
          strokeDasharray={name === control ? "4 3" : undefined}
          dot={isolatedDot}
          isAnimationActive={false}
          connectNulls={false}
          type="linear"
        />
      ))}
    </ChartFrame>
  );
}
