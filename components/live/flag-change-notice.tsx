"use client";

import { useRouter } from "next/navigation";
import { useRef, useState } from "react";
import { useLiveConfig, type LiveVersion } from "./use-live-config";

/** The flag's version per environment as the server has it now (null: unknown, try the next change). */
async function currentVersions(flagKey: string): Promise<Record<string, number> | null> {
  try {
    const res = await fetch(`/api/v1/flags/${encodeURIComponent(flagKey)}`, { cache: "no-store" });
    if (!res.ok) return null;
    const flag = (await res.json()) as { environments?: Record<string, { version?: number }> };
    return Object.fromEntries(Object.entries(flag.environments ?? {}).map(([env, s]) => [env, s.version ?? 0]));
  } catch {
    return null;
  }
}

/**
 * On a page with an edit form, a silent refresh would throw away what the user is typing; instead,
 * say that the flag changed elsewhere and let them load it (the conflict dialog is the backstop).
 * Someone who cannot edit has nothing to lose: with `autoRefresh` the page just shows the new values.
 * `configVersions` are the environments' versions read before the flag: a newer one may hold a change
 * of this flag, which the stream names, or, when it does not say which flags changed (on connect, or
 * for a large change), the flag is fetched to find out.
 */
export function FlagChangeNotice({
  flagKey,
  versions,
  configVersions,
  autoRefresh = false,
}: {
  flagKey: string;
  versions: Record<string, number>;
  configVersions: Record<string, number>;
  autoRefresh?: boolean;
}) {
  const router = useRouter();
  const [changed, setChanged] = useState<string[]>([]);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const changedIn = (envs: string[]) => {
    if (envs.length === 0) return;
    if (autoRefresh) {
      // Coalesced: a burst of changes is one refresh.
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => router.refresh(), 250);
      return;
    }
    setChanged((shown) => [...shown, ...envs.filter((env) => !shown.includes(env))]);
  };
  const newer = (live: Record<string, number>) => Object.keys(versions).filter((env) => (live[env] ?? 0) > versions[env]!);
  useLiveConfig((s: LiveVersion) => {
    if (versions[s.environment] === undefined || s.version <= (configVersions[s.environment] ?? 0)) return;
    if (s.flags) {
      const live = s.flags[flagKey];
      if (typeof live === "number") changedIn(newer({ [s.environment]: live }));
      return;
    }
    void currentVersions(flagKey).then((live) => live && changedIn(newer(live)));
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
