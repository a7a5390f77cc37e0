import { route } from "@/lib/api/http";
import { requireUser } from "@/lib/auth/principal";
import { incidentIdParam, loadIncident } from "@/lib/incidents/incident-view";
import { incidentReportMarkdown } from "@/lib/domain/incident-report";

/** The incident report as a Markdown file to download (also linked from the incident page). */
export const GET = route<{ id: string }>(async ({ db, principal, params }) => {
  requireUser(principal);
  const incident = await loadIncident(db, incidentIdParam(params.id));
  return new Response(incidentReportMarkdown(incident), {
    headers: {
      "content-type": "text/markdown; charset=utf-8",
      "content-disposition": `attachment; filename="incident-${incident.flagKey}-${incident.openedAt.slice(0, 10)}.md"`,
      "cache-control": "no-store",
    },
  });
});
