import type { Metadata } from "next";
import { Link } from "@/components/ui/link";
import { getDb } from "@/lib/db/client";
import { listIncidents } from "@/lib/incidents/incident-view";
import { CellLabel, DataTable, EmptyRow } from "@/components/ui/data-table";
import { Badge } from "@/components/ui/badge";
import { queryValue } from "@/lib/validation/text";
import { requirePageUser } from "../../_request/session";
import { utcMinute } from "@/lib/domain/utc-minute";

export const metadata: Metadata = { title: "Incidents" };

const TONE = { open: "red", acknowledged: "amber", resolved: "gray" } as const;
const SEVERITY_TONE = { sev1: "red", sev2: "amber", sev3: "gray" } as const;

export default async function IncidentsPage({ searchParams }: { searchParams: Promise<{ status?: string | string[] }> }) {
  const user = await requirePageUser();
  const all = queryValue((await searchParams).status) === "all";
  const incidents = await listIncidents(getDb(), user, { status: all ? "all" : "open" });
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Incidents</h1>
          <p className="text-sm text-slate-500">Opened by every kill; closed with a report.</p>
        </div>
        <Link href={all ? "/incidents" : "/incidents?status=all"} className="text-sm text-indigo-700 hover:underline">
          {all ? "Show open only" : "Show resolved too"}
        </Link>
      </div>
      {/* Stacked on a phone (on-call's screen): a table there clipped its Why column, the reason for the kill. */}
      <DataTable columns={["Incident", "Status", "Opened", "Why"]} stack bodyClassName="align-top">
        {incidents.map((i) => (
          <tr key={i.id} data-testid="incident-row">
            <td className="px-4 py-3">
              <Link href={`/incidents/${i.id}`} className="font-medium text-indigo-700 hover:underline">
                {i.title}
              </Link>
            </td>
            <td className="px-4 py-3">
              <CellLabel>Status</CellLabel>
              <Badge tone={TONE[i.status]}>{i.status}</Badge> <Badge tone={SEVERITY_TONE[i.severity]}>{i.severity}</Badge>
            </td>
            <td className="px-4 py-3 text-slate-600">
              <CellLabel>Opened</CellLabel>
              {utcMinute(i.openedAt)} by {i.openedBy}
            </td>
            <td className="px-4 py-3 text-slate-600">
              <CellLabel>Why</CellLabel>
              {i.reason}
            </td>
          </tr>
        ))}
        {incidents.length === 0 ? <EmptyRow colSpan={4}>{all ? "No incidents yet." : "No open incidents."}</EmptyRow> : null}
      </DataTable>
    </div>
  );
}
