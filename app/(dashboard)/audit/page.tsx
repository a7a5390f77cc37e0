import type { Metadata } from "next";
import { Link } from "@/components/ui/link";
import { getDb } from "@/lib/db/client";
import { listAudit, SIGN_IN_ACTION } from "@/lib/audit/list-audit";
import { AuditValue } from "@/components/audit/audit-value";
import { CellLabel, DataTable } from "@/components/ui/data-table";
import { controlOutline, TextInput } from "@/components/ui/field";
import { queryValue } from "@/lib/validation/text";
import { requirePageUser } from "../../_request/session";
import { auditAnchorStatus } from "@/lib/audit/anchor-status";

export const metadata: Metadata = { title: "Audit log" };
const PAGE = 50;

type Filters = { target?: string; actor?: string; action?: string };
type SearchParams = Record<"target" | "actor" | "action" | "before" | "signins", string | string[] | undefined>;

export default async function AuditPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const user = await requirePageUser();
  const sp = await searchParams;
  const beforeParam = queryValue(sp.before, 18);
  const before = beforeParam && /^\d{1,18}$/.test(beforeParam) ? BigInt(beforeParam) : undefined;
  const filters: Filters = {
    target: queryValue(sp.target),
    actor: queryValue(sp.actor),
    action: queryValue(sp.action, 100),
  };
  // Sign-ins are hidden unless asked for, or unless the filter names them.
  const showSignIns = queryValue(sp.signins, 1) === "1" || (filters.action !== undefined && SIGN_IN_ACTION.startsWith(filters.action));
  const [{ entries, nextBefore }, anchor] = await Promise.all([
    listAudit(getDb(), user, { limit: PAGE, before, ...filters, hideSignIns: !showSignIns }),
    auditAnchorStatus(getDb(), user),
  ]);
  const active = {
    ...(Object.fromEntries(Object.entries(filters).filter(([, v]) => v)) as Record<string, string>),
    ...(showSignIns ? { signins: "1" } : {}),
  };
  const qs = (extra: Record<string, string>) => new URLSearchParams({ ...active, ...extra }).toString();
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Audit log</h1>
        <p className="text-sm text-slate-500">Append-only and hash-chained: every change, who made it, and what it was before.</p>
      </div>
      <section
        aria-label="Chain anchor"
        data-testid="audit-anchor"
        className={`rounded-md px-4 py-3 text-sm ring-1 ${anchor.problems.length ? "bg-red-50 text-red-900 ring-red-300" : "bg-slate-50 text-slate-700 ring-slate-200"}`}
      >
        {anchor.head ? (
          <p>
            Chain head: entry <span className="font-mono">#{anchor.head.lastId}</span> of{" "}
            <span data-testid="audit-anchor-count">{anchor.head.entries}</span>, hash{" "}
            <span className="break-all font-mono text-xs" data-testid="audit-anchor-hash">
              {anchor.head.lastHash}
            </span>
            , written {anchor.head.headAt.replace("T", " ").slice(0, 19)} UTC.{" "}
            {anchor.exported
              ? `Last exported to the data dir ${anchor.exported.exportedAt.replace("T", " ").slice(0, 19)} UTC (entry #${anchor.exported.lastId}, ${anchor.exported.entries} entries).`
              : "Not exported to this instance's data dir yet."}
          </p>
        ) : null}
        {anchor.problems.map((p) => (
          <p key={p} className="mt-1 font-medium">
            {p} — run <code>npm run audit:verify</code>.
          </p>
        ))}
      </section>
      <form className="flex flex-wrap items-end gap-3 text-sm" role="search" aria-label="Filter the audit log">
        {(
          [
            ["target", "Target", "flag key, e.g. messaging-v2"],
            ["actor", "Actor", "email or token name"],
            ["action", "Action", "e.g. flag_state or user.create"],
          ] as const
        ).map(([name, label, placeholder]) => (
          <label key={name} className="flex w-full flex-col gap-1 sm:w-auto">
            <span className="font-medium text-slate-700">{label}</span>
            <TextInput name={name} defaultValue={filters[name] ?? ""} placeholder={placeholder} className="w-full px-3 py-1.5 sm:w-56" />
          </label>
        ))}
        <label className="flex items-center gap-2 py-1.5">
          <input type="checkbox" name="signins" value="1" defaultChecked={showSignIns} className="h-4 w-4 rounded border-slate-300" />
          <span className="text-slate-700">Show sign-ins</span>
        </label>
        <button type="submit" className={`rounded-md bg-white px-3 py-1.5 font-semibold shadow-sm ${controlOutline} hover:bg-slate-50`}>
          Filter
        </button>
        {Object.keys(active).length ? (
          <Link className="py-1.5 text-indigo-700 hover:underline" href="/audit">
            Clear
          </Link>
        ) : null}
      </form>
      <DataTable columns={["#", "When (UTC)", "Actor", "Action", "Target", "Change"]} stack bodyClassName="align-top">
        {entries.map((e) => (
          <tr key={e.id} data-testid="audit-row">
            {/* On phones the number and the time share a line: inline-block with `!`, since the stacked table's
                own rule (`[&_td]:block`) is more specific than a plain class. */}
            <td className="px-4 py-3 font-mono text-xs text-slate-500 max-md:inline-block! max-md:pr-0" title={`hash ${e.hash}`}>
              {e.id}
            </td>
            <td className="px-4 py-3 text-slate-600 max-md:inline-block! md:whitespace-nowrap">{e.at.replace("T", " ").slice(0, 19)}</td>
            {/* On phones who and what need no label: an address and an action name speak for themselves. */}
            <td className="px-4 py-3 break-words">{e.actor}</td>
            <td className="px-4 py-3">
              <span className="font-mono text-xs">{e.action}</span>
            </td>
            <td className="px-4 py-3">
              <CellLabel>Target</CellLabel>
              {/* Targets such as "flag_state:messaging-v2/production/<uuid>" have no spaces: let them wrap anywhere. */}
              <span className="font-mono text-xs break-all">{e.target}</span>
            </td>
            <td className="min-w-0 px-4 py-3 md:min-w-[16rem]">
              <CellLabel>Change</CellLabel>
              <AuditValue before={e.before} after={e.after} />
              {e.reason ? <p className="mt-1 text-xs break-words text-slate-600">Reason: {e.reason}</p> : null}
            </td>
          </tr>
        ))}
        {entries.length === 0 ? (
          <tr>
            <td colSpan={6} className="px-4 py-10 text-center text-slate-500">
              No entries.
            </td>
          </tr>
        ) : null}
      </DataTable>
      {nextBefore ? (
        <Link className="text-sm text-indigo-700 hover:underline" href={`/audit?${qs({ before: nextBefore })}`}>
          Older entries →
        </Link>
      ) : null}
    </div>
  );
}
