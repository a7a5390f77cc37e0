"use client";

import { useRouter } from "next/navigation";
import { useRef, useState } from "react";
import { useLiveConfig } from "./use-live-config";

/**
 * On a page with an edit form, a silent refresh would throw away what the user is typing; instead,
 * say that the flag changed elsewhere and let them load it (the conflict dialog is the backstop).
 * Someone who cannot edit has nothing to lose: with `autoRefresh` the page just shows the new values.
 */
export function FlagChangeNotice({
  flagKey,
  versions,
  autoRefresh = false,
}: {
  flagKey: string;
  versions: Record<string, number>;
  autoRefresh?: boolean;
}) {
  const router = useRouter();
  const [changed, setChanged] = useState<string[]>([]);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useLiveConfig((s) => {
    const live = s.flags[flagKey]?.version;
    const shown = versions[s.environment];
    if (live === undefined || shown === undefined || live <= shown) return;
    if (autoRefresh) {
      // Coalesced: a burst of changes is one refresh.
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => router.refresh(), 250);
      return;
    }
    setChanged((envs) => (envs.includes(s.environment) ? envs : [...envs, s.environment]));
  });
  if (changed.length === 0) return null;
  return (
    <div
      className="flex items-center justify-between rounded-lg bg-amber-50 px-4 py-3 text-sm ring-1 ring-amber-200"
      role="status"
      data-testid="flag-changed-notice"
    >
      <span className="text-amber-900">Someone changed this flag in {changed.join(" and ")} while you were here.</span>
      <button type="button" onClick={() => router.refresh()} className="font-semibold text-amber-900 underline">
        Load the latest
      </button>
    </div>
  );
}
