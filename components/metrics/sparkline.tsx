"use client";

import { useEffect, useState } from "react";
import type { MetricsResponse } from "@/lib/metrics/metrics-schemas";
import { SparklineLine } from "./lazy-charts";

/**
 * A flag's last hour at a glance: the error rate of `on` in 5-minute buckets, refreshed every 10 s.
 * Red when the latest bucket has errors above 1 % (the seeds' alert threshold).
 */
export function ErrorSparkline({ flagKey, environment }: { flagKey: string; environment: string }) {
  const [points, setPoints] = useState<{ t: number; e: number | null }[] | null>(null);
  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const res = await fetch(
          `/api/v1/flags/${encodeURIComponent(flagKey)}/metrics?environment=${encodeURIComponent(environment)}&windowSeconds=3600&bucketSeconds=300`,
        );
        if (!res.ok) return;
        const data = (await res.json()) as MetricsResponse;
        if (!stopped)
          setPoints(
            data.series
              .filter((p) => p.variant === "on")
              .map((p) => ({ t: Date.parse(p.t), e: p.errorRate === null ? null : p.errorRate * 100 })),
          );
      } catch {
        // A missed refresh keeps the last line; the next one tries again.
      }
    };
    void load();
    const timer = setInterval(load, 10_000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [flagKey, environment]);
  const last = points?.at(-1)?.e ?? null;
  const label =
    points === null
      ? "loading"
      : points.length === 0
        ? "no traffic on on in the last hour"
        : `on error rate, last hour; now ${last === null ? "—" : `${last.toFixed(2)} %`}`;
  return (
    <div className="flex items-center gap-2" role="img" aria-label={label} data-testid={`sparkline-${flagKey}-${environment}`}>
      {points && points.length > 1 ? <SparklineLine points={points} alarming={last !== null && last > 1} /> : null}
      <span className={`text-xs ${last !== null && last > 1 ? "text-red-700" : "text-slate-500"}`}>
        {/* Which bucket: beside it the card states the gates' window (30 minutes of `on` in the demo). */}
        {points === null
          ? "…"
          : points.length === 0
            ? "no traffic"
            : `on, last 5 min: ${last === null ? "—" : `${last.toFixed(1)} %`} errors`}
      </span>
    </div>
  );
}
