"use client";

import { useEffect, useRef } from "react";

/**
 * An environment's configuration as the live stream tells it: on connect every flag (`config`), after
 * that only the flags a change touched (`patch`), so a flag missing here did not change.
 */
export interface LiveSnapshot {
  environment: string;
  version: number;
  flags: Record<string, { version: number; enabled: boolean; killed: boolean; rolloutPercent: number }>;
}

/** Subscribes to `/api/v1/live` for as long as the component is mounted. */
export function useLiveConfig(onSnapshot: (s: LiveSnapshot) => void): void {
  const handler = useRef(onSnapshot);
  useEffect(() => {
    handler.current = onSnapshot;
  });
  useEffect(() => {
    const source = new EventSource("/api/v1/live");
    const listener = (e: MessageEvent<string>) => handler.current(JSON.parse(e.data) as LiveSnapshot);
    source.addEventListener("config", listener);
    source.addEventListener("patch", listener);
    return () => {
      source.removeEventListener("config", listener);
      source.removeEventListener("patch", listener);
      source.close();
    };
  }, []);
}
