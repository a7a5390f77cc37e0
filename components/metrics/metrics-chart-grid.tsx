"use client";

import type { ChartData } from "./chart-frame";
import type { ChartThresholds } from "./metrics-charts";
import { SuccessChart } from "./success-chart";
import { ErrorChart } from "./error-chart";
import { LatencyChart } from "./latency-chart";
import { RequestsChart } from "./requests-chart";
import { AdoptionChart } from "./adoption-chart";

/** The five charts of `MetricsCharts`, in a module of their own so that Recharts loads only when there is traffic to draw. */
export function MetricsChartGrid({ chart, thresholds }: { chart: ChartData; thresholds?: ChartThresholds }) {
  return (
    <div className="mt-3 grid gap-4 lg:grid-cols-2">
      <SuccessChart data={chart} minSuccessRate={thresholds?.minSuccessRate} />
      <ErrorChart data={chart} maxErrorRate={thresholds?.maxErrorRate} />
      <LatencyChart data={chart} maxP95Ms={thresholds?.maxP95Ms} />
      <RequestsChart data={chart} />
      <AdoptionChart data={chart} />
    </div>
  );
}
