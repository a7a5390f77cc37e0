"use client";

import { ErrorPanel } from "@/components/errors/error-panel";

// Catches what a page (or the layout below this segment) throws while rendering on the server.
export default function DashboardError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <ErrorPanel error={error} reset={reset} />;
}
