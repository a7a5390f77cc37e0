import { describeConstraints } from "@/lib/domain/targeting/describe";
import type { SegmentPlan } from "@/lib/flags/import-unleash";
import { Badge } from "../ui/badge";
import { CellLabel, DataTable } from "../ui/data-table";

const ACTION_TONE = { create: "green", reuse: "gray", skip: "amber" } as const;
const ACTION_LABEL = { create: "create", reuse: "reuse existing", skip: "skip" } as const;

/**
 * The export's segments: created, reused (a Rollgate segment of the same name and rules) or not
 * imported, with their rules in words, before the flags that use them.
 */
export function SegmentPlanTable({ segments }: { segments: SegmentPlan[] }) {
  return (
    <section aria-labelledby="import-segments-heading" className="space-y-2">
      <h2 id="import-segments-heading" className="text-base font-semibold text-slate-900">
        Segments ({segments.length})
      </h2>
      <DataTable stack columns={["Segment", "Action", "Rules"]}>
        {segments.map((s) => (
          <tr key={s.unleashId} data-testid={`import-segment-${s.unleashId}`} className="align-top">
            <td className="px-4 py-3">
              <CellLabel>Segment</CellLabel>
              <div className="font-medium break-words">{s.name}</div>
              <div className="text-xs text-slate-500">
                Unleash id {s.unleashId}
                {s.id !== null ? ` → Rollgate id ${s.id}` : ""}
              </div>
            </td>
            <td className="px-4 py-3">
              <CellLabel>Action</CellLabel>
              <Badge tone={ACTION_TONE[s.action]}>{ACTION_LABEL[s.action]}</Badge>
              {s.problems.length ? <p className="mt-1 text-xs text-amber-800">{s.problems.join("; ")}</p> : null}
            </td>
            <td className="px-4 py-3 break-words">
              <CellLabel>Rules</CellLabel>
              {describeConstraints(s.constraints)}
            </td>
          </tr>
        ))}
      </DataTable>
    </section>
  );
}
