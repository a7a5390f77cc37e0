"use client";

import { pct } from "./chart-data";
import { ChartFrame, thresholdLine, variantLines, type ChartData } from "./chart-frame";

export function ErrorChart({ data, maxErrorRate }: { data: ChartData; maxErrorRate?: number }) {
  return (
    <ChartFrame title="Error rate by variant (%)" testId="chart-errors" data={data} yAxis={{ domain: [0, "auto"], width: 44 }} format={pct}>
      {variantLines("error", "errors")}
      {maxErrorRate !== undefined ? thresholdLine(maxErrorRate * 100, `max ${pct(maxErrorRate * 100)}`, "insideTopRight") : null}
    </ChartFrame>
  );
}
