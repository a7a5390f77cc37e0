import { json, parseWith, readJson, route } from "@/lib/api/http";
import { acknowledgeSchema } from "@/lib/incidents/incident-schemas";
import { incidentIdParam } from "@/lib/incidents/incident-view";
import { acknowledgeIncident } from "@/lib/incidents/update-incident";
import { requirePermission } from "@/lib/auth/permissions";

export const POST = route<{ id: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "incident.update");
  const id = incidentIdParam(params.id);
  return json(await acknowledgeIncident(db, principal, id, parseWith(acknowledgeSchema, await readJson(req))));
});
