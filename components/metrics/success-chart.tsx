"use client";

import { pct } from "./chart-data";
import { ChartFrame, thresholdLine, variantLines, type ChartData } from "./chart-frame";

export function SuccessChart({ data, minSuccessRate }: { data: ChartData; minSuccessRate?: number }) {
  return (
    <ChartFrame
      title="Success rate by variant (%)"
      testId="chart-success"
      data={data}
      yAxis={{ domain: ["auto", 100], width: 44 }}
      format={pct}
    >
      {variantLines("success", "success")}
      {minSuccessRate !== undefined ? thresholdLine(minSuccessRate * 100, `min ${pct(minSuccessRate * 100)}`, "insideBottomRight") : null}
    </ChartFrame>
  );
}
