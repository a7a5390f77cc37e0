import { json, route } from "@/lib/api/http";
import { requireUser } from "@/lib/auth/principal";
import { incidentIdParam, loadIncident } from "@/lib/incidents/incident-view";

export const GET = route<{ id: string }>(async ({ db, principal, params }) => {
  requireUser(principal);
  return json(await loadIncident(db, incidentIdParam(params.id)));
});
