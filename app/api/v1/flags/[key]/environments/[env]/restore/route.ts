import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requireRole } from "@/lib/auth/principal";
import { killSchema } from "@/lib/incidents/incident-schemas";
import { restoreFlag } from "@/lib/incidents/kill-switch";

export const POST = route<{ key: string; env: string }>(async ({ req, db, principal, params }) => {
  requireRole(principal, "oncall", "admin");
  const input = parseWith(killSchema, await readJson(req));
  return json(await restoreFlag(db, principal, { flagKey: params.key, environment: params.env }, input));
});
