"use client";

import { useMemo, useState } from "react";
import { Select } from "@/components/ui/field";
import type { MetricsResponse } from "@/lib/metrics/metrics-schemas";
import { pct, RANGES, toRows, type RangeName } from "./chart-data";
import type { ChartData } from "./chart-frame";
import { useMetrics } from "./use-metrics";
import { RangeButtons } from "./range-buttons";
import { MetricsChartGrid } from "./lazy-charts";

/** Thresholds drawn as lines: the current rollout phase's success criteria (rates 0–1). */
export interface ChartThresholds {
  minSuccessRate?: number;
  maxErrorRate?: number;
  maxP95Ms?: number;
}

/**
 * Success and error rate by variant, p50/p95/p99 latency, requests and adoption for one flag, read
 * from `GET /api/v1/flags/{key}/metrics`. Re-fetches as soon as the dashboard stream says new events
 * landed for the flag (well within 2 s of them), and every `pollMs` while the page is visible; keeps
 * the last good data on a failed refresh and says so. Points carry small dots so a bucket with traffic between empty ones (a gap,
 * not a zero) still shows.
 */
export function MetricsCharts({
  flagKey,
  environments,
  thresholds,
  pollMs = 15_000,
}: {
  flagKey: string;
  environments: string[];
  thresholds?: ChartThresholds;
  pollMs?: number;
}) {
  const [environment, setEnvironment] = useState(environments.includes("production") ? "production" : (environments[0] ?? "production"));
  const [range, setRange] = useState<RangeName>("1 h");
  const state = useMetrics(flagKey, environment, range, pollMs);
  const chart = useMemo<ChartData | null>(
    () =>
      state.data
        ? {
            rows: toRows(state.data),
            from: Date.parse(state.data.from),
            to: Date.parse(state.data.to),
            windowSeconds: RANGES[range].windowSeconds,
            markers: state.data.markers ?? [],
          }
        : null,
    [state.data, range],
  );
  const empty = state.data !== null && state.data.series.length === 0;

  return (
    <section
      className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200"
      aria-labelledby={`metrics-title-${environment}`}
      data-testid="metrics-charts"
    >
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id={`metrics-title-${environment}`} className="font-semibold">
          Metrics <span className="font-normal text-slate-500">· {environment}</span>
        </h2>
        <MetricsControls
          environments={environments}
          environment={environment}
          onEnvironment={setEnvironment}
          range={range}
          onRange={setRange}
        />
      </div>

      {state.error ? (
        <p role="alert" className="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          Could not load metrics: {state.error}. {state.data ? "Showing the last data received; retrying." : "Retrying."}
        </p>
      ) : null}

      {state.loading && !state.data ? (
        <p role="status" className="mt-4 text-sm text-slate-500">
          Loading metrics…
        </p>
      ) : null}

      {empty ? (
        <p role="status" className="mt-4 rounded-md bg-slate-50 px-3 py-6 text-center text-sm text-slate-600">
          No traffic in this range. Charts appear when services report events for this flag in {environment}.
        </p>
      ) : null}

      {state.data && chart && !empty ? (
        <>
          <MetricsTotals data={state.data} range={range} />
          <MetricsChartGrid chart={chart} thresholds={thresholds} />
        </>
      ) : null}
    </section>
  );
}

function MetricsControls({
  environments,
  environment,
  onEnvironment,
  range,
  onRange,
}: {
  environments: string[];
  environment: string;
  onEnvironment: (environment: string) => void;
  range: RangeName;
  onRange: (range: RangeName) => void;
}) {
  return (
    <div className="flex flex-wrap items-center gap-2 text-sm">
      {environments.length > 1 ? (
        <label className="flex items-center gap-1">
          <span className="text-slate-500">Environment</span>
          <Select className="w-auto py-1 pr-7 pl-2" value={environment} onChange={(e) => onEnvironment(e.target.value)}>
            {environments.map((env) => (
              <option key={env} value={env}>
                {env}
              </option>
            ))}
          </Select>
        </label>
      ) : null}
      <RangeButtons range={range} onRange={onRange} />
    </div>
  );
}

/** Requests and success per variant over the whole range, and how to read the buckets. */
function MetricsTotals({ data, range }: { data: MetricsResponse; range: RangeName }) {
  const totals = useMemo(() => {
    const sum = { on: { requests: 0, errors: 0, evaluations: 0 }, off: { requests: 0, errors: 0, evaluations: 0 } };
    for (const p of data.series) {
      sum[p.variant].requests += p.requests;
      sum[p.variant].errors += p.errors;
      sum[p.variant].evaluations += p.evaluations;
    }
    return sum;
  }, [data]);
  return (
    <p className="mt-2 text-sm text-slate-600" data-testid="metrics-totals">
      {(["on", "off"] as const).map((v) => (
        <span key={v} className="mr-4">
          <span className="font-medium">{v}</span>: {totals[v].requests.toLocaleString()} requests,{" "}
          {totals[v].requests ? pct(100 * (1 - totals[v].errors / totals[v].requests)) : "—"} success
          {/* Counted by Unleash SDKs without an outcome: they weigh in adoption only. */}
          {totals[v].evaluations ? `, ${totals[v].evaluations.toLocaleString()} evaluations counted by Unleash clients` : null}
        </span>
      ))}
      <span className="text-slate-500">
        {RANGES[range].bucketSeconds / 60}-minute buckets · latency is the upper edge of its histogram bucket
      </span>
    </p>
  );
}
