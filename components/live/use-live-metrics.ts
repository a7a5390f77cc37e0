"use client";

import { useEffect, useRef } from "react";
import { RECONNECTED, subscribeLive } from "./live-stream";

/**
 * Calls `onEvents` when the dashboard stream (`/api/v1/live`) says new events landed for `flagKey`
 * in `environment` (any instance, throttled server-side to a few per second), and when the stream
 * is back after it broke. Every view of the page shares one connection (live-stream.ts).
 */
export function useLiveMetrics(flagKey: string, environment: string, onEvents: () => void): void {
  const handler = useRef(onEvents);
  useEffect(() => {
    handler.current = onEvents;
  });
  useEffect(() => {
    const offMetrics = subscribeLive("metrics", (data) => {
      let change: { environment?: string; flags?: string[] | null };
      try {
        change = JSON.parse(data) as typeof change;
      } catch {
        return; // A malformed event is ignored; the fallback poll still runs.
      }
      if (change.environment === environment && (change.flags == null || change.flags.includes(flagKey))) handler.current();
    });
    // Events that landed while the stream was down were announced to nobody: read again.
    const offReconnected = subscribeLive(RECONNECTED, () => handler.current());
    return () => {
      offMetrics();
      offReconnected();
    };
  }, [flagKey, environment]);
}
