"use client";

import { useEffect, useRef } from "react";

type Listener = (change: { environment?: string; flags?: string[] | null }) => void;

/**
 * One `/api/v1/live` connection for every metrics view of the page (the charts, the variants, the
 * rollout comparison), opened with the first and closed with the last. A browser keeps at most six
 * HTTP/1.1 connections per origin, and each EventSource holds one for as long as the page is open:
 * a page that opened one per view, in two tabs, left no connection for a save, which then waited
 * forever.
 */
let shared: { source: EventSource; listeners: Set<Listener> } | null = null;

function subscribe(listener: Listener): () => void {
  if (!shared) {
    const source = new EventSource("/api/v1/live");
    const listeners = new Set<Listener>();
    source.addEventListener("metrics", (e: MessageEvent<string>) => {
      let change: Parameters<Listener>[0];
      try {
        change = JSON.parse(e.data) as Parameters<Listener>[0];
      } catch {
        return; // A malformed event is ignored; the views' fallback polls still run.
      }
      for (const l of listeners) l(change);
    });
    shared = { source, listeners };
  }
  const current = shared;
  current.listeners.add(listener);
  return () => {
    current.listeners.delete(listener);
    if (current.listeners.size === 0) {
      current.source.close();
      if (shared === current) shared = null;
    }
  };
}

/**
 * Calls `onEvents` when the dashboard stream (`/api/v1/live`) says new events landed for `flagKey`
 * in `environment` (any instance, throttled server-side to a few per second).
 */
export function useLiveMetrics(flagKey: string, environment: string, onEvents: () => void): void {
  const handler = useRef(onEvents);
  useEffect(() => {
    handler.current = onEvents;
  });
  useEffect(
    () =>
      subscribe((change) => {
        if (change.environment === environment && (change.flags == null || change.flags.includes(flagKey))) handler.current();
      }),
    [flagKey, environment],
  );
}
