import type { Metadata } from "next";
import { Link } from "@/components/ui/link";
import { getDb } from "@/lib/db/client";
import { listIncidents } from "@/lib/incidents/incident-view";
import { DataTable } from "@/components/ui/data-table";
import { Badge } from "@/components/ui/badge";
import { queryValue } from "@/lib/validation/text";
import { requirePageUser } from "../../_request/session";

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
      <DataTable columns={["Incident", "Status", "Opened", "Why"]}>
        {incidents.map((i) => (
          <tr key={i.id}>
            <td className="px-4 py-3">
              <Link href={`/incidents/${i.id}`} className="font-medium text-indigo-700 hover:underline">
                {i.title}
              </Link>
            </td>
            <td className="px-4 py-3">
              <Badge tone={TONE[i.status]}>{i.status}</Badge> <Badge tone={SEVERITY_TONE[i.severity]}>{i.severity}</Badge>
            </td>
            <td className="px-4 py-3 text-slate-600">
              {i.openedAt.replace("T", " ").slice(0, 16)} UTC by {i.openedBy}
            </td>
            <td className="px-4 py-3 text-slate-600">{i.reason}</td>
          </tr>
        ))}
        {incidents.length === 0 ? (
          <tr>
            <td colSpan={4} className="px-4 py-8 text-center text-slate-500">
              {all ? "No incidents yet." : "No open incidents."}
            </td>
          </tr>
        ) : null}
      </DataTable>
    </div>
  );
}
