import type { MappedState } from "@/lib/domain/unleash-mapping";
import type { ImportPlanEntry } from "@/lib/flags/import-unleash";
import { Badge } from "../ui/badge";
import { CellLabel, DataTable } from "../ui/data-table";

const ACTION_TONE = { create: "green", update: "indigo", unchanged: "gray", skip: "amber" } as const;
const ACTION_LABEL = { create: "create", update: "update", unchanged: "unchanged", skip: "skip" } as const;

const count = (n: number, one: string, many: string) => (n ? ` + ${n} ${n === 1 ? one : many}` : "");

/** "25 % + 2 allowlisted + 1 strategy + 2 variants": the targeting counts too, or a 0 % flag would read as off. */
function stateText(s: MappedState): string {
  if (!s.enabled) return "disabled";
  const t = s.targeting;
  return (
    `${s.rolloutPercent} %` +
    count(s.allowlist.length, "allowlisted", "allowlisted") +
    count(t?.strategies.length ?? 0, "strategy", "strategies") +
    count(t?.variants.length ?? 0, "variant", "variants") +
    count(t?.dependencies.length ?? 0, "dependency", "dependencies")
  );
}

/** What the dry run or the import does to each flag, environment by environment. */
export function PlanTable({ flags }: { flags: ImportPlanEntry[] }) {
  return (
    <DataTable stack columns={["Flag", "Action", "Environments"]}>
      {flags.map((f) => (
        <tr key={f.key} data-testid={`import-row-${f.key}`} className="align-top">
          <td className="px-4 py-3">
            <CellLabel>Flag</CellLabel>
            <div className="font-mono font-medium break-all">{f.key}</div>
            {f.bucketGroup !== f.key ? <div className="text-xs text-slate-500">buckets users by &lsquo;{f.bucketGroup}&rsquo;</div> : null}
            {f.problems.length ? <p className="mt-1 text-xs text-amber-800">{f.problems.join("; ")}</p> : null}
          </td>
          <td className="px-4 py-3">
            <CellLabel>Action</CellLabel>
            <Badge tone={ACTION_TONE[f.action]}>{ACTION_LABEL[f.action]}</Badge>
            {f.reason ? <p className="mt-1 text-xs text-slate-600">{f.reason}</p> : null}
          </td>
          <td className="px-4 py-3">
            <CellLabel>Environments</CellLabel>
            {Object.keys(f.environments).length === 0 ? (
              <span className="text-slate-500">—</span>
            ) : (
              <ul className="space-y-1.5">
                {Object.entries(f.environments).map(([env, p]) => (
                  <li key={env}>
                    <span className="font-medium">{env}</span>
                    {p.unleashEnvironment !== env ? <span className="text-slate-500"> (Unleash {p.unleashEnvironment})</span> : null}:{" "}
                    {p.from && stateText(p.from) !== stateText(p.to) ? (
                      <span className="text-slate-500">{stateText(p.from)} → </span>
                    ) : null}
                    {stateText(p.to)}{" "}
                    {p.exact ? (
                      <Badge tone="green">exact</Badge>
                    ) : (
                      <>
                        <Badge tone="amber">not exact</Badge>
                        <span className="block text-xs text-amber-800">
                          {p.problems.length ? p.problems.join("; ") : "see the flag's problems"}
                          {f.action !== "skip" ? " — imported disabled" : ""}
                        </span>
                      </>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
