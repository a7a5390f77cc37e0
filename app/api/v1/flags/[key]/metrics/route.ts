import { json, parseWith, route } from "@/lib/api/http";
import { requireUser } from "@/lib/auth/principal";
import { getFlagMetrics } from "@/lib/metrics/get-flag-metrics";
import { metricsQuerySchema } from "@/lib/metrics/metrics-schemas";

/** A flag's metric series (docs/API.md); any signed-in user. */
export const GET = route<{ key: string }>(async ({ req, db, principal, params }) => {
  requireUser(principal);
  const query = parseWith(metricsQuerySchema, Object.fromEntries(new URL(req.url).searchParams));
  return json(await getFlagMetrics(db, params.key, query));
});
