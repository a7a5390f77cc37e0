"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { useLiveConfig } from "./use-live-config";

/**
 * On a page with an edit form, a silent refresh would throw away what the user is typing; instead,
 * say that the flag changed elsewhere and let them load it (the conflict dialog is the backstop).
 */
export function FlagChangeNotice({ flagKey, versions }: { flagKey: string; versions: Record<string, number> }) {
  const router = useRouter();
  const [changed, setChanged] = useState<string[]>([]);
  useLiveConfig((s) => {
    const live = s.flags[flagKey]?.version;
    const shown = versions[s.environment];
    if (live !== undefined && shown !== undefined && live > shown) {
      setChanged((envs) => (envs.includes(s.environment) ? envs : [...envs, s.environment]));
    }
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
