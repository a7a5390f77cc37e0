import { isDatabaseUnavailableError, noteDatabaseUnavailable } from "./lib/db/availability";

/**
 * Next.js calls this for every error a page, route or server action throws. A query that failed
 * because the database is unreachable marks the request, so the HTTP server answers 503 with
 * Retry-After instead of the 500 Next would send (lib/server/app-server.ts).
 */
export function onRequestError(err: unknown): void {
  if (isDatabaseUnavailableError(err)) noteDatabaseUnavailable(err);
}
