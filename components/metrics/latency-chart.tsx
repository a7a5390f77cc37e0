"use client";

import { ms } from "./chart-data";
import { ChartFrame, thresholdLine, variantLines, type ChartData } from "./chart-frame";

const DASH = { p50: undefined, p95: "6 3", p99: "2 3" } as const;

export function LatencyChart({ data, maxP95Ms }: { data: ChartData; maxP95Ms?: number }) {
  return (
    <ChartFrame title="Latency p50 / p95 / p99 (ms)" testId="chart-latency" data={data} yAxis={{ width: 52 }} format={ms}>
      {(["p50", "p95", "p99"] as const).flatMap((p) => variantLines(p, p, DASH[p]))}
      {maxP95Ms !== undefined ? thresholdLine(maxP95Ms, `max p95 ${ms(maxP95Ms)}`, "insideTopRight") : null}
    </ChartFrame>
  );
}
