"use client";

import { Fragment, useEffect, useMemo, useRef, useState } from "react";
import { Select } from "@/components/ui/field";
import { useLiveMetrics } from "@/components/live/use-live-metrics";
import type { VariantComparisonResponse } from "@/lib/metrics/get-variant-comparison";
import type { VariantSummary } from "@/lib/domain/variant-comparison";
import { pct, RANGES, type RangeName } from "./chart-data";
import type { ChartData } from "./chart-frame";
import { VariantErrorChart } from "./lazy-charts";
import { RangeButtons } from "./range-buttons";

interface State {
  data: VariantComparisonResponse | null;
  error: string | null;
}

/**
 * A multivariate flag's variants against a control variant (GET /api/v1/flags/{key}/variants): each
 * variant's requests, error rate and p95, and whether it errs more than control by the guardrails'
 * always-valid test; with the error rate of each variant over time. Reloads when new events land
 * (the dashboard stream) and every `pollMs`; keeps the last data on a failed reload and says so.
 */
export function VariantComparison(props: {
  flagKey: string;
  /** The variants each environment serves now; environments without any are not offered. */
  variantsByEnvironment: Record<string, string[]>;
  pollMs?: number;
}) {
  const environments = Object.keys(props.variantsByEnvironment).filter((env) => props.variantsByEnvironment[env]!.length > 0);
  // A flag without variants mounts nothing: no requests, no stream subscription.
  return environments.length > 0 ? <VariantPanel {...props} environments={environments} /> : null;
}

function VariantPanel({
  flagKey,
  variantsByEnvironment,
  environments,
  pollMs = 15_000,
}: {
  flagKey: string;
  variantsByEnvironment: Record<string, string[]>;
  environments: string[];
  pollMs?: number;
}) {
  const [environment, setEnvironment] = useState(environments.includes("production") ? "production" : (environments[0] ?? ""));
  const [range, setRange] = useState<RangeName>("24 h");
  const [control, setControl] = useState<string | null>(null);
  const state = useVariantComparison(flagKey, environment, range, control, pollMs);
  const data = state.data;
  const chart = useMemo(() => (data ? chartOf(data, range) : null), [data, range]);
  const names = variantsByEnvironment[environment] ?? [];

  return (
    <section
      className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200"
      aria-labelledby="variants-title"
      data-testid="variant-comparison"
    >
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="variants-title" className="font-semibold">
          Variants <span className="font-normal text-slate-500">· {environment}</span>
        </h2>
        <div className="flex flex-wrap items-center gap-2 text-sm">
          {environments.length > 1 ? (
            <label className="flex items-center gap-1">
              <span className="text-slate-500">Environment</span>
              <Select
                className="w-auto py-1 pr-7 pl-2"
                value={environment}
                onChange={(e) => {
                  setEnvironment(e.target.value);
                  setControl(null);
                }}
              >
                {environments.map((env) => (
                  <option key={env}>{env}</option>
                ))}
              </Select>
            </label>
          ) : null}
          <label className="flex items-center gap-1">
            <span className="text-slate-500">Control</span>
            <Select className="w-auto py-1 pr-7 pl-2" value={control ?? data?.control ?? ""} onChange={(e) => setControl(e.target.value)}>
              {names.map((name) => (
                <option key={name}>{name}</option>
              ))}
            </Select>
          </label>
          <RangeButtons range={range} onRange={setRange} />
        </div>
      </div>
      <p className="mt-1 text-sm text-slate-500">
        Each variant against the control variant, minute by minute, so what hits every variant alike blames none of them.
        {data && data.compared > 1 ? ` ${data.compared} variants are compared, each at α/${data.compared}.` : ""}
      </p>
      {state.error ? (
        <p role="alert" className="mt-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">
          Could not load the variants: {state.error}. {data ? "Showing the last data received; retrying." : "Retrying."}
        </p>
      ) : null}
      {!data && !state.error ? (
        <p role="status" className="mt-4 text-sm text-slate-500">
          Loading variants…
        </p>
      ) : null}
      {data && data.variants.length === 0 ? (
        <p role="status" className="mt-4 rounded-md bg-slate-50 px-3 py-6 text-center text-sm text-slate-600">
          No outcomes per variant in this range. They appear when services report events with the variant served (the SDK and OpenFeature
          tracking do).
        </p>
      ) : null}
      {data && chart && data.variants.length > 0 ? (
        <>
          <VariantTable data={data} />
          <div className="mt-4">
            <VariantErrorChart data={chart.data} names={chart.names} control={data.control} />
          </div>
        </>
      ) : null}
      {data && Object.keys(data.evaluations).length > 0 ? (
        <p className="mt-3 text-sm text-slate-600" data-testid="variant-evaluations">
          Served through Unleash SDKs in this range (they report no outcomes, so these are not compared):{" "}
          {Object.entries(data.evaluations)
            .map(([name, n]) => `${name} ${n.toLocaleString("en-US")}`)
            .join(" · ")}
          .
        </p>
      ) : null}
    </section>
  );
}

function VariantTable({ data }: { data: VariantComparisonResponse }) {
  return (
    // Scrolls sideways on a phone: a named region that takes focus, so a keyboard can scroll it too.
    <div className="mt-3 overflow-x-auto" role="region" aria-label="Variants against control" tabIndex={0}>
      <table className="w-full text-left text-sm sm:min-w-[36rem]">
        <thead className="text-xs text-slate-500">
          <tr>
            <th className="py-1 pr-3 font-medium">Variant</th>
            <th className="py-1 pr-3 text-right font-medium">Requests</th>
            <th className="py-1 pr-3 text-right font-medium">Error rate</th>
            <th className="py-1 pr-3 text-right font-medium">p95</th>
            <th className="hidden py-1 font-medium sm:table-cell">Against {data.control ?? "control"}</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {data.variants.map((v) => (
            <Fragment key={v.name}>
              <tr data-testid={`variant-row-${v.name}`} className={v.vsControl ? "max-sm:border-b-0" : undefined}>
                <th scope="row" className="py-2 pr-3 font-medium text-slate-900">
                  {v.name}
                  {v.name === data.control && v.name.toLowerCase() !== "control" ? (
                    <span className="ml-1 text-xs font-normal text-slate-500">control</span>
                  ) : null}
                </th>
                <td className="py-2 pr-3 text-right tabular-nums">{v.requests.toLocaleString("en-US")}</td>
                <td className="py-2 pr-3 text-right tabular-nums">{v.errorRate === null ? "—" : pct(v.errorRate * 100)}</td>
                <td className="py-2 pr-3 text-right whitespace-nowrap tabular-nums">{p95Text(v)}</td>
                <td className="hidden py-2 sm:table-cell">
                  <Verdict variant={v} />
                </td>
              </tr>
              {/* On a phone the verdict takes a row of its own under its variant, instead of a column off screen. */}
              {v.vsControl ? (
                <tr className="sm:hidden">
                  <td colSpan={4} className="pb-2">
                    <Verdict variant={v} />
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const VERDICTS = {
  worse: { label: "Errs more than control", className: "bg-red-50 text-red-800 ring-red-200" },
  clear: { label: "No sign of harm", className: "bg-emerald-50 text-emerald-800 ring-emerald-200" },
  insufficient: { label: "Too little data", className: "bg-slate-50 text-slate-700 ring-slate-200" },
} as const;

const LATENCY_VERDICTS = {
  worse: { label: "Slower than control", className: VERDICTS.worse.className },
  clear: { label: "No sign of a slowdown", className: VERDICTS.clear.className },
  insufficient: { label: "Too little data on latency", className: VERDICTS.insufficient.className },
} as const;

function Verdict({ variant }: { variant: VariantSummary }) {
  const vs = variant.vsControl;
  if (!vs) return <span className="text-slate-500">—</span>;
  const { label, className } = VERDICTS[vs.verdict];
  const latency = vs.latency ? LATENCY_VERDICTS[vs.latency.verdict] : null;
  return (
    <div className="space-y-0.5">
      <span className={`inline-block rounded px-1.5 py-0.5 text-xs font-medium ring-1 ${className}`}>{label}</span>
      <p className="text-xs text-slate-600">{vs.explanation}</p>
      {vs.latency && latency ? (
        <div className="space-y-0.5 pt-1" data-testid="variant-latency">
          <span className={`inline-block rounded px-1.5 py-0.5 text-xs font-medium ring-1 ${latency.className}`}>{latency.label}</span>
          <p className="text-xs text-slate-600">{vs.latency.explanation}</p>
        </div>
      ) : null}
    </div>
  );
}

function p95Text(v: VariantSummary): string {
  if (v.requests === 0) return "—";
  return v.p95Ms === null ? "> 10,000 ms" : `≤ ${v.p95Ms.toLocaleString("en-US")} ms`;
}

/** Dense rows per bucket, one column per variant (v_0 … in the API's order), gaps where a variant had no requests. */
function chartOf(data: VariantComparisonResponse, range: RangeName): { data: ChartData; names: string[] } {
  const names = data.variants.map((v) => v.name);
  const column = new Map(names.map((n, i) => [n, `v_${i}`]));
  const step = data.bucketSeconds * 1000;
  const rows = new Map<number, Record<string, number | null> & { t: number }>();
  for (let t = Date.parse(data.from); t <= Date.parse(data.to); t += step) rows.set(t, { t });
  for (const p of data.series) {
    const row = rows.get(p.t);
    if (row && p.errorRate !== null) row[column.get(p.name)!] = p.errorRate * 100;
  }
  return {
    names,
    data: {
      rows: [...rows.values()],
      from: Date.parse(data.from),
      to: Date.parse(data.to),
      windowSeconds: RANGES[range].windowSeconds,
      markers: [],
    },
  };
}

function useVariantComparison(flagKey: string, environment: string, range: RangeName, control: string | null, pollMs: number): State {
  const [state, setState] = useState<State>({ data: null, error: null });
  const reload = useRef<() => void>(() => {});
  useEffect(() => {
    if (!environment) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const controller = new AbortController();
    setState({ data: null, error: null });
    const load = async () => {
      if (timer) clearTimeout(timer);
      const { windowSeconds, bucketSeconds } = RANGES[range];
      const query = new URLSearchParams({ environment, windowSeconds: String(windowSeconds), bucketSeconds: String(bucketSeconds) });
      if (control) query.set("control", control);
      try {
        const res = await fetch(`/api/v1/flags/${encodeURIComponent(flagKey)}/variants?${query}`, {
          cache: "no-store",
          signal: controller.signal,
        });
        const body = (await res.json().catch(() => null)) as (VariantComparisonResponse & { error?: { message?: string } }) | null;
        if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
        if (!stopped) setState({ data: body, error: null });
      } catch (err) {
        if (stopped || (err instanceof DOMException && err.name === "AbortError")) return;
        setState((s) => ({ ...s, error: err instanceof Error ? err.message : "unknown error" }));
      }
      if (!stopped) timer = setTimeout(load, pollMs);
    };
    reload.current = () => void load();
    void load();
    return () => {
      stopped = true;
      reload.current = () => {};
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [flagKey, environment, range, control, pollMs]);
  useLiveMetrics(flagKey, environment, () => reload.current());
  return state;
}
