"use client";

import { memo } from "react";
import type { ChartData } from "./chart-frame";
import type { ChartThresholds } from "./metrics-charts";
import { SuccessChart } from "./success-chart";
import { ErrorChart } from "./error-chart";
import { LatencyChart } from "./latency-chart";
import { RequestsChart } from "./requests-chart";
import { AdoptionChart } from "./adoption-chart";

/**
 * The five charts of `MetricsCharts`, in a module of their own so that Recharts loads only when there is
 * traffic to draw. Drawn again only for new data or new thresholds: the page around them re-renders on
 * every live change (a rollout page's refresh hands down equal thresholds in a new object), and five
 * Recharts charts take a few hundred milliseconds of a phone's main thread to draw the same picture.
 */
export const MetricsChartGrid = memo(function MetricsChartGrid({ chart, thresholds }: { chart: ChartData; thresholds?: ChartThresholds }) {
  return (
    <div className="mt-3 grid gap-4 lg:grid-cols-2">
      <SuccessChart data={chart} minSuccessRate={thresholds?.minSuccessRate} />
      <ErrorChart data={chart} maxErrorRate={thresholds?.maxErrorRate} />
      <LatencyChart data={chart} maxP95Ms={thresholds?.maxP95Ms} />
      <RequestsChart data={chart} />
      <AdoptionChart data={chart} />
    </div>
  );
}, sameCharts);

function sameCharts(a: { chart: ChartData; thresholds?: ChartThresholds }, b: { chart: ChartData; thresholds?: ChartThresholds }): boolean {
  return (
    a.chart === b.chart &&
    a.thresholds?.minSuccessRate === b.thresholds?.minSuccessRate &&
    a.thresholds?.maxErrorRate === b.thresholds?.maxErrorRate &&
    a.thresholds?.maxP95Ms === b.thresholds?.maxP95Ms
  );
}
