"use client";

import { useEffect, useRef } from "react";
import { useRouter } from "next/navigation";

/**
 * Keeps a rollout page current over the dashboard stream (`/api/v1/live`): a `rollout` event for
 * this rollout (phase, plan, approval or checklist changed, on any instance) or a newer config of
 * its environment re-renders the page. A slow timer covers what moves without any write: soak time
 * and metrics.
 */
export function RolloutAutoRefresh({
  rolloutId,
  environment,
  configVersion,
  everyMs = 15_000,
}: {
  rolloutId: string;
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
    const source = new EventSource("/api/v1/live");
    const onRollout = (e: MessageEvent<string>) => {
      if ((JSON.parse(e.data) as { id?: string }).id === rolloutId) refresh();
    };
    const onConfig = (e: MessageEvent<string>) => {
      const s = JSON.parse(e.data) as { environment?: string; version?: number };
      if (s.environment === environment && (s.version ?? 0) > configVersion) refresh();
    };
    source.addEventListener("rollout", onRollout);
    source.addEventListener("config", onConfig);
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") router.refresh();
    }, everyMs);
    return () => {
      clearInterval(timer);
      if (pending.current) clearTimeout(pending.current);
      source.close();
    };
  }, [router, rolloutId, environment, configVersion, everyMs]);
  return null;
}
