"use client";

import { useEffect, useMemo, useRef, useState } from "react";
import { Area, CartesianGrid, ComposedChart, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useLiveMetrics } from "@/components/live/use-live-metrics";
import type { RolloutComparison } from "@/lib/metrics/rollout-comparison";
import { CellLabel } from "@/components/ui/data-table";
import { COLORS, markerLabelPosition, timeLabel, tooltipLabel } from "./chart-data";
import { comparisonDomain, comparisonRows, percent, pp } from "./comparison-data";

const REFRESH_EVERY_MS = 5_000;

/**
 * "Change vs control" on a rollout page (issue 23): the error rate of `on` minus `off` (distinct
 * erroring subjects per request, SPLIT traffic only) since the rollout started, per phase, with its
 * always-valid lower bound: where the shaded band lies wholly above 0, `on` is worse. The numbers
 * come with the page (lib/metrics/get-rollout-comparison.ts) and are re-read from the API when the
 * stream says events landed for the flag, at most every few seconds.
 */
export function ComparisonChart({
  comparison,
  rolloutId,
  flagKey,
  environment,
}: {
  comparison: RolloutComparison;
  rolloutId: string;
  flagKey: string;
  environment: string;
}) {
  const [fetched, setFetched] = useState<RolloutComparison | null>(null);
  useLiveComparison(rolloutId, flagKey, environment, setFetched);
  // The newer of what the page rendered (it re-renders on its own timer) and what the chart re-read.
  const c = fetched && fetched.to > comparison.to ? fetched : comparison;
  const empty = c.phases.every((p) => p.series.length === 0);
  const tone = c.errors.verdict === "alarm" ? "bg-red-50 text-red-800 ring-red-200" : "bg-slate-50 text-slate-700 ring-slate-200";
  const headline = empty
    ? "No traffic on both arms yet"
    : c.errors.verdict === "alarm"
      ? "Evidence of harm: on has more errors than off"
      : c.errors.verdict === "clear"
        ? "No evidence of harm yet"
        : "Too little data to judge yet";
  return (
    <section
      className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200"
      aria-labelledby="comparison-title"
      data-testid="comparison-chart"
    >
      <h2 id="comparison-title" className="font-semibold">
        Change vs control <span className="font-normal text-slate-500">· errors, on − off, since the rollout started</span>
      </h2>
      <div className={`mt-3 rounded-md px-3 py-2 text-sm ring-1 ${tone}`} data-testid="comparison-verdict">
        <p className="font-medium">{headline}</p>
        {empty ? (
          <p className="mt-0.5">The chart appears once both on and off serve randomized (percentage) traffic.</p>
        ) : (
          <p className="mt-0.5 break-words" data-testid="comparison-explanation">
            {c.errors.explanation}
          </p>
        )}
      </div>
      {empty ? null : (
        <>
          <ComparisonPlot comparison={c} />
          <p className="mt-2 text-xs text-slate-500" id="comparison-how">
            Line: Δ error rate in percentage points. Shaded: where the true Δ lies with {Math.round((1 - c.alpha) * 100)} % confidence at
            any time (always-valid lower bound, per phase); 0 inside the band means no evidence yet.
          </p>
          <ComparisonTable comparison={c} />
        </>
      )}
    </section>
  );
}

/**
 * Re-reads the comparison (`GET /api/v1/rollouts/{id}/comparison`) when the stream says events landed
 * for the flag, no more often than REFRESH_EVERY_MS; a failed read keeps what is shown until the next.
 */
function useLiveComparison(rolloutId: string, flagKey: string, environment: string, onData: (c: RolloutComparison) => void): void {
  const last = useRef(0);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (pending.current) clearTimeout(pending.current);
    },
    [],
  );
  useLiveMetrics(flagKey, environment, () => {
    if (pending.current) return;
    const wait = Math.max(0, last.current + REFRESH_EVERY_MS - Date.now());
    pending.current = setTimeout(async () => {
      last.current = Date.now();
      try {
        const res = await fetch(`/api/v1/rollouts/${encodeURIComponent(rolloutId)}/comparison`, { cache: "no-store" });
        if (res.ok) onData((await res.json()) as RolloutComparison);
      } catch {
        // The next event, or the page's own refresh, tries again.
      } finally {
        pending.current = null;
      }
    }, wait);
  });
}

function ComparisonPlot({ comparison: c }: { comparison: RolloutComparison }) {
  const domain = useMemo(() => comparisonDomain(c), [c]);
  const rows = useMemo(() => comparisonRows(c, domain[1]), [c, domain]);
  const format = (value: unknown, name: unknown) =>
    Array.isArray(value) ? [`${Number(value[0]).toFixed(3)} pp`, "lower bound"] : [`${Number(value).toFixed(3)} pp`, String(name)];
  return (
    <figure className="mt-3" aria-describedby="comparison-how">
      <figcaption className="sr-only">
        Δ error rate (on − off) over time since the rollout started, per phase; the numbers are in the table below.
      </figcaption>
      <ul className="mb-1 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600" aria-hidden="true">
        <li className="flex items-center gap-1.5">
          <span className="inline-block h-0.5 w-5 bg-indigo-600" /> Δ (on − off), percentage points
        </li>
        <li className="flex items-center gap-1.5">
          <span className="inline-block w-5 border-t border-dashed border-indigo-600" /> lower bound
        </li>
        <li className="flex items-center gap-1.5">
          <span className="inline-block h-3 w-5 bg-indigo-600/15" /> where Δ may be
        </li>
      </ul>
      <div className="h-64">
        <ResponsiveContainer width="100%" height="100%">
          {/* Not recharts' unnamed "application" tab stop: a named picture, its numbers in the table below. */}
          <ComposedChart
            data={rows}
            margin={{ top: 18, right: 12, bottom: 0, left: 0 }}
            accessibilityLayer={false}
            role="img"
            aria-label="Δ error rate (on − off) over time, per phase"
          >
            <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
            <XAxis
              dataKey="t"
              type="number"
              scale="time"
              domain={[c.from, c.to]}
              tickFormatter={timeLabel((c.to - c.from) / 1000)}
              tick={{ fontSize: 11 }}
              minTickGap={28}
            />
            <YAxis
              domain={domain}
              allowDataOverflow
              width={52}
              tick={{ fontSize: 11 }}
              tickFormatter={(v: number) => `${Number(v.toFixed(2))}`}
            />
            <Area
              dataKey="band"
              name="plausible Δ"
              fill={COLORS.on}
              fillOpacity={0.15}
              stroke="none"
              isAnimationActive={false}
              connectNulls={false}
            />
            <Line
              dataKey="lower"
              name="lower bound"
              stroke={COLORS.on}
              strokeDasharray="4 3"
              strokeWidth={1}
              dot={false}
              isAnimationActive={false}
              connectNulls={false}
            />
            <Line
              dataKey="delta"
              name="Δ (on − off)"
              stroke={COLORS.on}
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
              connectNulls={false}
            />
            <ReferenceLine y={0} stroke="#0f172a" strokeWidth={1} />
            {c.phases.map((p) => (
              <ReferenceLine
                key={p.phase}
                x={p.startedAt}
                stroke="#64748b"
                strokeDasharray="2 3"
                label={{ value: p.name, position: markerLabelPosition(p.startedAt, c.from, c.to), fontSize: 10, fill: "#334155" }}
              />
            ))}
            <Tooltip labelFormatter={tooltipLabel} formatter={format} />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

/** Phones get one block per phase, each value with its column's name (as DataTable's `stack`). */
const STACKED =
  "max-md:block max-md:[&_tbody]:block max-md:[&_thead]:sr-only max-md:[&_tr]:grid max-md:[&_tr]:grid-cols-2 max-md:[&_tr]:gap-x-3 max-md:[&_tr]:py-2 max-md:[&_td]:block max-md:[&_td]:py-1";

/** The chart's numbers per phase, for everyone and for screen readers: each arm, Δ and its lower bound. */
function ComparisonTable({ comparison: c }: { comparison: RolloutComparison }) {
  return (
    <div className="relative mt-3 overflow-x-auto" role="region" aria-label="Change vs control by phase" tabIndex={0}>
      <table className={`min-w-full text-left text-sm ${STACKED}`} data-testid="comparison-table">
        <caption className="sr-only">Errors and slow requests, on against off, per phase</caption>
        <thead className="text-xs font-semibold tracking-wide text-slate-500 uppercase">
          <tr>
            <th scope="col" className="py-1.5 pr-3">
              Phase
            </th>
            <th scope="col" className="py-1.5 pr-3">
              on errors
            </th>
            <th scope="col" className="py-1.5 pr-3">
              off errors
            </th>
            <th scope="col" className="py-1.5 pr-3">
              Δ (lower bound)
            </th>
            <th scope="col" className="py-1.5 pr-3">
              Slow Δ{c.slowThresholdMs !== null ? ` (> ${c.slowThresholdMs} ms)` : ""}
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {c.phases.map((p) => (
            <tr key={p.phase}>
              <th scope="row" className="py-1.5 pr-3 font-medium whitespace-nowrap max-md:col-span-2">
                {p.name}
              </th>
              {p.errors ? (
                <>
                  <td className="py-1.5 pr-3 md:whitespace-nowrap">
                    <CellLabel>on errors</CellLabel>
                    {percent(p.errors.on.rate)} of {p.errors.on.requests.toLocaleString("en-US")}
                  </td>
                  <td className="py-1.5 pr-3 md:whitespace-nowrap">
                    <CellLabel>off errors</CellLabel>
                    {percent(p.errors.off.rate)} of {p.errors.off.requests.toLocaleString("en-US")}
                  </td>
                  <td className="py-1.5 pr-3 md:whitespace-nowrap">
                    <CellLabel>Δ (lower bound)</CellLabel>
                    {pp(p.errors.delta)} <span className="whitespace-nowrap">(≥ {pp(p.errors.lower)})</span>
                  </td>
                  <td className="py-1.5 pr-3 md:whitespace-nowrap">
                    <CellLabel>Slow Δ</CellLabel>
                    {p.slow ? (
                      <>
                        {pp(p.slow.delta)} <span className="whitespace-nowrap">(≥ {pp(p.slow.lower)})</span>
                      </>
                    ) : (
                      "—"
                    )}
                  </td>
                </>
              ) : (
                <td colSpan={4} className="py-1.5 pr-3 text-slate-500 max-md:col-span-2">
                  no traffic on both arms
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
