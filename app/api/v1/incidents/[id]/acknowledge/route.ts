import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requireRole } from "@/lib/auth/principal";
import { acknowledgeSchema } from "@/lib/incidents/incident-schemas";
import { incidentIdParam } from "@/lib/incidents/incident-view";
import { acknowledgeIncident } from "@/lib/incidents/update-incident";

export const POST = route<{ id: string }>(async ({ req, db, principal, params }) => {
  requireRole(principal, "oncall", "engineer", "admin");
  const id = incidentIdParam(params.id);
  return json(await acknowledgeIncident(db, principal, id, parseWith(acknowledgeSchema, await readJson(req))));
});
