import { json, parseWith, readJson, route } from "@/lib/api/http";
import { purgeSchema } from "@/lib/metrics/contribution-schemas";
import { purgeTokenReports } from "@/lib/metrics/purge-token-reports";

export const POST = route(async ({ req, db, principal }) => {
  return json(await purgeTokenReports(db, principal, parseWith(purgeSchema, await readJson(req))));
});
