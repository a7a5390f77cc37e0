"use client";

import { useRouter } from "next/navigation";
import { useRef } from "react";
import { useLiveConfig } from "./use-live-config";

/** Re-renders the current page (server data only; client state is kept) when any environment changes. */
export function LiveRefresh({ versions }: { versions: Record<string, number> }) {
  const router = useRouter();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useLiveConfig((s) => {
    if (s.version <= (versions[s.environment] ?? 0)) return;
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => router.refresh(), 250);
  });
  return null;
}
