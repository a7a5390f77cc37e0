"use client";

import { useRouter } from "next/navigation";
import { startTransition } from "react";
import { DATABASE_UNAVAILABLE_DIGEST } from "@/lib/errors";
import { Button } from "@/components/ui/button";

/**
 * What an error boundary shows. An outage of the database (the server tags it with a known digest)
 * gets its own explanation, because the fix is to wait, not to report a bug; anything else shows the
 * digest the server log carries.
 */
export function ErrorPanel({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const router = useRouter();
  const unavailable = error.digest === DATABASE_UNAVAILABLE_DIGEST;
  const retry = () =>
    startTransition(() => {
      router.refresh();
      reset();
    });
  return (
    <main className="flex min-h-[60vh] items-center justify-center px-4">
      <div className="w-full max-w-md rounded-xl bg-white p-6 shadow-sm ring-1 ring-slate-200" role="alert">
        {unavailable ? (
          <>
            <h1 className="text-xl font-semibold tracking-tight" data-testid="database-unavailable">
              The database is unavailable
            </h1>
            <p className="mt-3 text-sm text-slate-600">
              Rollgate cannot reach its database right now, so the dashboard cannot show or change anything. Services keep evaluating flags
              from the configuration they already have. This page works again as soon as the database is back.
            </p>
          </>
        ) : (
          <>
            <h1 className="text-xl font-semibold tracking-tight">Something went wrong</h1>
            <p className="mt-3 text-sm text-slate-600">
              The server could not show this page.{error.digest ? ` Reference: ${error.digest}.` : ""}
            </p>
          </>
        )}
        <Button className="mt-6" variant="secondary" onClick={retry}>
          Try again
        </Button>
      </div>
    </main>
  );
}
