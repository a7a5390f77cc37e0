"use client";

import dynamic from "next/dynamic";

// Recharts and the charts built on it are about 410 KB of the dashboard's JavaScript, 43 % of a flag
// page's, yet most flag pages and the overview draw no chart: the charts appear once a client-side
// fetch returns traffic. Loaded here on first use instead of with every page that might draw one.
// Each placeholder takes the chart's room, so nothing moves when the chart arrives.

export const MetricsChartGrid = dynamic(() => import("./metrics-chart-grid").then((m) => m.MetricsChartGrid), {
  ssr: false,
  loading: () => <div className="mt-3 h-56" />,
});

export const VariantErrorChart = dynamic(() => import("./variant-error-chart").then((m) => m.VariantErrorChart), {
  ssr: false,
  loading: () => <div className="h-56" />,
});

export const SparklineLine = dynamic(() => import("./sparkline-line").then((m) => m.SparklineLine), {
  ssr: false,
  loading: () => <span className="inline-block h-[28px] w-[120px]" />,
});
