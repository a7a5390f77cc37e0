"use client";

import { useEffect, useRef } from "react";
import { subscribeLive } from "./live-stream";

/**
 * What the live stream says about an environment: its configuration version, on connect and after
 * every change. A change names the flags it touched with their new versions (null: the flag left the
 * environment) when it touched only a few; without `flags`, anything may have changed, and a page that
 * cares asks the server for what it shows. The stream never carries configuration itself.
 */
export interface LiveVersion {
  environment: string;
  version: number;
  flags?: Record<string, number | null>;
}

/** Subscribes to `/api/v1/live` (the page's shared connection, live-stream.ts) for as long as the component is mounted. */
export function useLiveConfig(onVersion: (s: LiveVersion) => void): void {
  const handler = useRef(onVersion);
  useEffect(() => {
    handler.current = onVersion;
  });
  useEffect(() => subscribeLive("config", (data) => handler.current(JSON.parse(data) as LiveVersion)), []);
}
