import { json, parseWith, readJson, route } from "@/lib/api/http";
import { requirePermission } from "@/lib/auth/permissions";
import { noteSchema } from "@/lib/incidents/incident-schemas";
import { incidentIdParam } from "@/lib/incidents/incident-view";
import { addIncidentNote } from "@/lib/incidents/update-incident";

export const POST = route<{ id: string }>(async ({ req, db, principal, params }) => {
  requirePermission(principal, "incident.update");
  const id = incidentIdParam(params.id);
  return json(await addIncidentNote(db, principal, id, parseWith(noteSchema, await readJson(req))), 201);
});
