"use client";

import { useEffect, useRef, useState } from "react";
import { useLiveMetrics } from "@/components/live/use-live-metrics";
import type { MetricsResponse } from "@/lib/metrics/metrics-schemas";
import { RANGES, type RangeName } from "./chart-data";

export interface MetricsState {
  data: MetricsResponse | null;
  error: string | null;
  loading: boolean;
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
 * One flag's metrics for one environment and range. Reloads when the stream says new events landed
 * for this flag, and every `pollMs` regardless (the window moves on, and the stream may be down).
 * One load at a time: a signal during a load queues exactly one more. A failed reload keeps the last
 * good data next to the error.
 */
export function useMetrics(flagKey: string, environment: string, range: RangeName, pollMs: number): MetricsState {
  const [state, setState] = useState<MetricsState>({ data: null, error: null, loading: true });
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
  return state;
}
