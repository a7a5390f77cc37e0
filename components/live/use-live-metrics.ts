"use client";

import { useEffect, useRef } from "react";

/**
 * Calls `onEvents` when the dashboard stream (`/api/v1/live`) says new events landed for `flagKey`
 * in `environment` (any instance, throttled server-side to a few per second).
 */
export function useLiveMetrics(flagKey: string, environment: string, onEvents: () => void): void {
  const handler = useRef(onEvents);
  useEffect(() => {
    handler.current = onEvents;
  });
  useEffect(() => {
    const source = new EventSource("/api/v1/live");
    const listener = (e: MessageEvent<string>) => {
      try {
        const change = JSON.parse(e.data) as { environment?: string; flags?: string[] | null };
        if (change.environment === environment && (change.flags == null || change.flags.includes(flagKey))) handler.current();
      } catch {
        // A malformed event is ignored; the fallback poll still runs.
      }
    };
    source.addEventListener("metrics", listener);
    return () => {
      source.removeEventListener("metrics", listener);
      source.close();
    };
  }, [flagKey, environment]);
}
