"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";
import { watchLiveStatus, type LiveStatus } from "./live-stream";
import { signInPath } from "@/lib/auth/return-to";

/**
 * Says when a page that updates itself has stopped doing so: an overview left open on a wall screen
 * or a phone looks the same whether it follows the server or not. Signed out (the session ended
 * elsewhere or expired): nothing will update until its reader signs in again, which brings them back
 * here. Unreachable (a restart, a database outage, the network): it catches up by itself once the
 * connection is back, and then this goes away. The live region is always there, so a screen reader
 * announces the message when it appears.
 */
export function LiveStatusBanner() {
  const [{ status, since }, setState] = useState<{ status: LiveStatus; since: number | null }>({ status: "live", since: null });
  const pathname = usePathname();
  const search = useSearchParams().toString();
  useEffect(() => watchLiveStatus((status, since) => setState({ status, since })), []);
  const here = search ? `${pathname}?${search}` : pathname;
  // How old what the page shows may be: "since 03:12" on a screen left open overnight says a lot.
  const time =
    since === null ? null : (
      <time dateTime={new Date(since).toISOString()}>{new Date(since).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}</time>
    );
  return (
    <div role="status" data-testid="live-status" className="mx-auto max-w-6xl px-4">
      {status === "signed-out" ? (
        <p className="mt-4 flex flex-wrap items-center justify-between gap-x-4 gap-y-1 rounded-lg bg-red-50 px-4 py-3 text-sm text-red-900 ring-1 ring-red-200">
          <span>You were signed out, so this page has not updated since {time}.</span>
          {/* A full page load: the sign-in page is outside the dashboard's layout. */}
          <a href={signInPath(here)} className="font-semibold underline hover:text-red-700">
            Sign in again
          </a>
        </p>
      ) : status === "unreachable" ? (
        <p className="mt-4 rounded-lg bg-amber-50 px-4 py-3 text-sm text-amber-900 ring-1 ring-amber-200">
          Live updates paused since {time}: Rollgate cannot be reached, so this page may be out of date. It catches up by itself when the
          connection is back.
        </p>
      ) : null}
    </div>
  );
}
