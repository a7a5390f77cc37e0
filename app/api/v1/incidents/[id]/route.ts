import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requireUser } from "@/lib/auth/principal";
import { requirePermission } from "@/lib/auth/permissions";
import { triageSchema } from "@/lib/incidents/incident-schemas";
import { incidentIdParam, loadIncident } from "@/lib/incidents/incident-view";
import { triageIncident } from "@/lib/incidents/update-incident";

export const GET = route<{ id: string }>(async ({ db, principal, params }) => {
  requireUser(principal);
  return json(await loadIncident(db, incidentIdParam(params.id)));
});

export const PATCH = route<{ id: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "incident.update");
  const id = incidentIdParam(params.id);
  return json(await triageIncident(db, principal, id, parseWith(triageSchema, await readJson(req))));
});
