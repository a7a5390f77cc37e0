import { json, parseWith, readJson, route } from "@/lib/api/http";
import { purgeSchema } from "@/lib/metrics/contribution-schemas";
import { purgeTokenReports } from "@/lib/metrics/purge-token-reports";
import { requirePermission } from "@/lib/auth/permissions";

export const POST = route(async ({ req, db, principal }) => {
  // Authorise before reading the body, like every other write route.
  requirePermission(principal, "metrics.purge");
  return json(await purgeTokenReports(db, principal, parseWith(purgeSchema, await readJson(req))));
});
