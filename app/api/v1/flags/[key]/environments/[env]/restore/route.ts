import { json, parseWith, readJson, route } from "@/lib/api/http";
import { killSchema } from "@/lib/incidents/incident-schemas";
import { restoreFlag } from "@/lib/incidents/kill-switch";
import { requirePermission } from "@/lib/auth/permissions";

export const POST = route<{ key: string; env: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "flag.restore");
  const input = parseWith(killSchema, await readJson(req));
  return json(await restoreFlag(db, principal, { flagKey: params.key, environment: params.env }, input));
});
