"use client";

import { useEffect, useMemo, useRef, useState } from "react";
import { useLiveMetrics } from "@/components/live/use-live-metrics";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { MetricPoint, MetricsResponse } from "@/lib/metrics/metrics-schemas";

/** Thresholds drawn as lines: the current rollout phase's success criteria (rates 0–1). */
export interface ChartThresholds {
  minSuccessRate?: number;
  maxErrorRate?: number;
  maxP95Ms?: number;
}

export const RANGES = {
  "1 h": { windowSeconds: 3600, bucketSeconds: 60 },
  "6 h": { windowSeconds: 6 * 3600, bucketSeconds: 300 },
  "24 h": { windowSeconds: 24 * 3600, bucketSeconds: 900 },
  "7 d": { windowSeconds: 7 * 24 * 3600, bucketSeconds: 3600 },
} as const;
type RangeName = keyof typeof RANGES;

const COLORS = { on: "#4f46e5", off: "#64748b" } as const;
const PCT_DASH = { p50: undefined, p95: "6 3", p99: "2 3" } as const;

type Row = { t: number } & Partial<Record<string, number | null>>;

/** Dense rows, one per bucket of the window: no traffic is 0 requests and a gap in the rates. */
function toRows(data: MetricsResponse): Row[] {
  const step = data.bucketSeconds * 1000;
  const byT = new Map<number, MetricPoint[]>();
  for (const p of data.series) {
    const t = Date.parse(p.t);
    byT.set(t, [...(byT.get(t) ?? []), p]);
  }
  const rows: Row[] = [];
  for (let t = Date.parse(data.from); t <= Date.parse(data.to); t += step) {
    const row: Row = { t, on_requests: 0, off_requests: 0, adoption: null };
    for (const p of byT.get(t) ?? []) {
      const v = p.variant;
      row[`${v}_requests`] = p.requests;
      row[`${v}_errors`] = p.errors;
      row[`${v}_success`] = p.successRate === null ? null : p.successRate * 100;
      row[`${v}_error`] = p.errorRate === null ? null : p.errorRate * 100;
      row[`${v}_p50`] = p.p50Ms;
      row[`${v}_p95`] = p.p95Ms;
      row[`${v}_p99`] = p.p99Ms;
      row.adoption = p.adoption === null ? null : p.adoption * 100;
    }
    rows.push(row);
  }
  return rows;
}

const timeLabel = (windowSeconds: number) => (t: number) => {
  const d = new Date(t);
  return windowSeconds > 24 * 3600
    ? d.toLocaleDateString(undefined, { month: "short", day: "numeric" }) + " " + d.toLocaleTimeString(undefined, { hour: "2-digit" })
    : d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
};
const MARKER_COLOR: Record<string, string> = {
  advance: "#4f46e5",
  complete: "#059669",
  pause: "#64748b",
  resume: "#4f46e5",
  rollback: "#b45309",
  kill: "#dc2626",
  restore: "#059669",
};
const pct = (v: unknown) => (typeof v === "number" ? `${Number(v.toFixed(2))} %` : "—");
const ms = (v: unknown) => (typeof v === "number" ? `${v.toLocaleString()} ms` : "—");

function ChartCard({ title, testId, children }: { title: string; testId: string; children: React.ReactElement }) {
  return (
    <figure className="rounded-lg ring-1 ring-slate-200 p-3" data-testid={testId}>
      <figcaption className="mb-2 text-sm font-medium text-slate-700">{title}</figcaption>
      <div className="h-56">
        <ResponsiveContainer width="100%" height="100%">
          {children}
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

async function loadMetrics(flagKey: string, environment: string, range: RangeName, signal: AbortSignal): Promise<MetricsResponse> {
  const { windowSeconds, bucketSeconds } = RANGES[range];
  const query = new URLSearchParams({ environment, windowSeconds: String(windowSeconds), bucketSeconds: String(bucketSeconds) });
  const res = await fetch(`/api/v1/flags/${encodeURIComponent(flagKey)}/metrics?${query}`, { cache: "no-store", signal });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  }
  return (await res.json()) as MetricsResponse;
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
  const [state, setState] = useState<{ data: MetricsResponse | null; error: string | null; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });

  // Reloads when the stream says new events landed for this flag, and every `pollMs` regardless (the
  // window moves on, and the stream may be down). One load at a time: a signal during a load queues
  // exactly one more.
  const reload = useRef<() => void>(() => {});
  useEffect(() => {
    let stopped = false;
    let controller: AbortController | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let loading = false;
    let again = false;
    setState({ data: null, error: null, loading: true });
    const tick = async () => {
      if (stopped) return;
      if (loading) {
        again = true;
        return;
      }
      if (timer) clearTimeout(timer);
      loading = true;
      if (document.visibilityState === "visible") {
        controller = new AbortController();
        try {
          const data = await loadMetrics(flagKey, environment, range, controller.signal);
          if (!stopped) setState({ data, error: null, loading: false });
        } catch (err) {
          if (!stopped && !(err instanceof DOMException && err.name === "AbortError")) {
            setState((s) => ({ ...s, error: err instanceof Error ? err.message : "unknown error", loading: false }));
          }
        }
      }
      loading = false;
      if (stopped) return;
      if (again) {
        again = false;
        void tick();
      } else timer = setTimeout(tick, pollMs);
    };
    reload.current = () => void tick();
    void tick();
    const onVisible = () => {
      if (document.visibilityState === "visible") void tick();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      stopped = true;
      reload.current = () => {};
      controller?.abort();
      if (timer) clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [flagKey, environment, range, pollMs]);
  useLiveMetrics(flagKey, environment, () => reload.current());

  const rows = useMemo(() => (state.data ? toRows(state.data) : []), [state.data]);
  const windowSeconds = RANGES[range].windowSeconds;
  const totals = useMemo(() => {
    const sum = { on: { requests: 0, errors: 0, evaluations: 0 }, off: { requests: 0, errors: 0, evaluations: 0 } };
    for (const p of state.data?.series ?? []) {
      sum[p.variant].requests += p.requests;
      sum[p.variant].errors += p.errors;
      sum[p.variant].evaluations += p.evaluations;
    }
    return sum;
  }, [state.data]);
  const empty = state.data !== null && state.data.series.length === 0;
  const xAxis = (
    <XAxis
      dataKey="t"
      type="number"
      scale="time"
      domain={state.data ? [Date.parse(state.data.from), Date.parse(state.data.to)] : ["auto", "auto"]}
      tickFormatter={timeLabel(windowSeconds)}
      tick={{ fontSize: 11 }}
      minTickGap={24}
    />
  );
  // Phase changes, kills and restores as vertical lines on every chart, so a change in the numbers can
  // be read against what was done to the flag.
  const markerLines = (state.data?.markers ?? []).map((m) => (
    <ReferenceLine
      key={`${m.t}-${m.kind}`}
      x={Date.parse(m.t)}
      stroke={MARKER_COLOR[m.kind]}
      strokeDasharray={m.kind === "kill" ? undefined : "2 3"}
      label={{ value: m.kind, fontSize: 10, fill: MARKER_COLOR[m.kind], position: "insideTopLeft" }}
      data-testid={`marker-${m.kind}`}
    />
  ));
  const tooltipLabel = (t: unknown) => (typeof t === "number" ? new Date(t).toLocaleString() : "");
  const lines = (suffix: string, label: string, dash?: string) =>
    (["on", "off"] as const).map((v) => (
      <Line
        key={`${v}_${suffix}`}
        dataKey={`${v}_${suffix}`}
        name={`${v} ${label}`}
        stroke={COLORS[v]}
        strokeDasharray={dash}
        dot={{ r: 1.5, strokeDasharray: "" }}
        isAnimationActive={false}
        connectNulls={false}
        type="linear"
      />
    ));

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
        <div className="flex flex-wrap items-center gap-2 text-sm">
          {environments.length > 1 ? (
            <label className="flex items-center gap-1">
              <span className="text-slate-500">Environment</span>
              <select
                className="rounded-md border-0 py-1 pl-2 pr-7 text-sm ring-1 ring-inset ring-slate-300"
                value={environment}
                onChange={(e) => setEnvironment(e.target.value)}
              >
                {environments.map((env) => (
                  <option key={env} value={env}>
                    {env}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <div role="group" aria-label="Time range" className="inline-flex rounded-md ring-1 ring-inset ring-slate-300">
            {(Object.keys(RANGES) as RangeName[]).map((r) => (
              <button
                key={r}
                type="button"
                aria-pressed={range === r}
                onClick={() => setRange(r)}
                className={`px-2.5 py-1 first:rounded-l-md last:rounded-r-md ${range === r ? "bg-indigo-600 text-white" : "text-slate-700 hover:bg-slate-50"}`}
              >
                {r}
              </button>
            ))}
          </div>
        </div>
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

      {state.data && !empty ? (
        <>
          <p className="mt-2 text-sm text-slate-600" data-testid="metrics-totals">
            {(["on", "off"] as const).map((v) => (
              <span key={v} className="mr-4">
                <span className="font-medium">{v}</span>: {totals[v].requests.toLocaleString()} requests,{" "}
                {totals[v].requests ? pct(100 * (1 - totals[v].errors / totals[v].requests)) : "—"} success
                {/* Counted by Unleash SDKs without an outcome: they weigh in adoption only. */}
                {totals[v].evaluations ? `, ${totals[v].evaluations.toLocaleString()} evaluations counted by Unleash clients` : null}
              </span>
            ))}
            <span className="text-slate-400">
              {RANGES[range].bucketSeconds / 60}-minute buckets · latency is the upper edge of its histogram bucket
            </span>
          </p>
          <div className="mt-3 grid gap-4 lg:grid-cols-2">
            <ChartCard title="Success rate by variant (%)" testId="chart-success">
              <LineChart data={rows} margin={{ top: 5, right: 10, bottom: 0, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                {xAxis}
                {markerLines}
                <YAxis domain={["auto", 100]} tick={{ fontSize: 11 }} width={44} />
                <Tooltip labelFormatter={tooltipLabel} formatter={pct} />
                <Legend />
                {lines("success", "success")}
                {thresholds?.minSuccessRate !== undefined ? (
                  <ReferenceLine
                    y={thresholds.minSuccessRate * 100}
                    stroke="#dc2626"
                    strokeDasharray="4 4"
                    label={{
                      value: `min ${pct(thresholds.minSuccessRate * 100)}`,
                      fontSize: 11,
                      fill: "#dc2626",
                      position: "insideBottomRight",
                    }}
                  />
                ) : null}
              </LineChart>
            </ChartCard>
            <ChartCard title="Error rate by variant (%)" testId="chart-errors">
              <LineChart data={rows} margin={{ top: 5, right: 10, bottom: 0, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                {xAxis}
                {markerLines}
                <YAxis domain={[0, "auto"]} tick={{ fontSize: 11 }} width={44} />
                <Tooltip labelFormatter={tooltipLabel} formatter={pct} />
                <Legend />
                {lines("error", "errors")}
                {thresholds?.maxErrorRate !== undefined ? (
                  <ReferenceLine
                    y={thresholds.maxErrorRate * 100}
                    stroke="#dc2626"
                    strokeDasharray="4 4"
                    label={{
                      value: `max ${pct(thresholds.maxErrorRate * 100)}`,
                      fontSize: 11,
                      fill: "#dc2626",
                      position: "insideTopRight",
                    }}
                  />
                ) : null}
              </LineChart>
            </ChartCard>
            <ChartCard title="Latency p50 / p95 / p99 (ms)" testId="chart-latency">
              <LineChart data={rows} margin={{ top: 5, right: 10, bottom: 0, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                {xAxis}
                {markerLines}
                <YAxis tick={{ fontSize: 11 }} width={52} />
                <Tooltip labelFormatter={tooltipLabel} formatter={ms} />
                <Legend />
                {(["p50", "p95", "p99"] as const).flatMap((p) => lines(p, p, PCT_DASH[p]))}
                {thresholds?.maxP95Ms !== undefined ? (
                  <ReferenceLine
                    y={thresholds.maxP95Ms}
                    stroke="#dc2626"
                    strokeDasharray="4 4"
                    label={{ value: `max p95 ${ms(thresholds.maxP95Ms)}`, fontSize: 11, fill: "#dc2626", position: "insideTopRight" }}
                  />
                ) : null}
              </LineChart>
            </ChartCard>
            <ChartCard title="Requests per bucket" testId="chart-requests">
              <BarChart data={rows} margin={{ top: 5, right: 10, bottom: 0, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                {xAxis}
                {markerLines}
                <YAxis tick={{ fontSize: 11 }} width={52} allowDecimals={false} />
                <Tooltip labelFormatter={tooltipLabel} />
                <Legend />
                <Bar dataKey="on_requests" name="on" stackId="r" fill={COLORS.on} isAnimationActive={false} />
                <Bar dataKey="off_requests" name="off" stackId="r" fill={COLORS.off} isAnimationActive={false} />
              </BarChart>
            </ChartCard>
            <ChartCard title="Adoption: share of evaluations served on (%)" testId="chart-adoption">
              <LineChart data={rows} margin={{ top: 5, right: 10, bottom: 0, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                {xAxis}
                {markerLines}
                <YAxis domain={[0, 100]} tick={{ fontSize: 11 }} width={44} />
                <Tooltip labelFormatter={tooltipLabel} formatter={pct} />
                <Line
                  dataKey="adoption"
                  name="adoption"
                  stroke={COLORS.on}
                  dot={{ r: 1.5 }}
                  isAnimationActive={false}
                  connectNulls={false}
                />
              </LineChart>
            </ChartCard>
          </div>
        </>
      ) : null}
    </section>
  );
}
