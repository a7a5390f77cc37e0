"use client";

import { useEffect, useRef } from "react";
import { useRouter } from "next/navigation";
import { RECONNECTED, subscribeLive } from "@/components/live/live-stream";

/**
 * Keeps a rollout page current over the dashboard stream (`/api/v1/live`): a `rollout` event for
 * this rollout (phase, plan, approval or checklist changed, on any instance) or a newer config of
 * its environment that touched its flag (or does not say which flags it touched) re-renders the page. A slow timer covers what moves without any write: soak time
 * and metrics.
 */
export function RolloutAutoRefresh({
  rolloutId,
  flagKey,
  environment,
  configVersion,
  everyMs = 15_000,
}: {
  rolloutId: string;
  flagKey: string;
  environment: string;
  configVersion: number;
  everyMs?: number;
}) {
  const router = useRouter();
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    const refresh = () => {
      if (pending.current) clearTimeout(pending.current);
      pending.current = setTimeout(() => router.refresh(), 150);
    };
    const offRollout = subscribeLive("rollout", (data) => {
      if ((JSON.parse(data) as { id?: string }).id === rolloutId) refresh();
    });
    const offConfig = subscribeLive("config", (data) => {
      const s = JSON.parse(data) as { environment?: string; version?: number; flags?: Record<string, number | null> };
      if (s.environment === environment && (s.version ?? 0) > configVersion && (!s.flags || flagKey in s.flags)) refresh();
    });
    // A rollout event sent while the stream was down reached nobody.
    const offReconnected = subscribeLive(RECONNECTED, refresh);
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") router.refresh();
    }, everyMs);
    return () => {
      clearInterval(timer);
      if (pending.current) clearTimeout(pending.current);
      offRollout();
      offConfig();
      offReconnected();
    };
  }, [router, rolloutId, flagKey, environment, configVersion, everyMs]);
  return null;
}
