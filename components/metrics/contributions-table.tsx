import { CellLabel, DataTable, EmptyRow } from "../ui/data-table";
import { utcMinute } from "@/lib/domain/utc-minute";

interface Counts {
  requests: number;
  errors: number;
  evaluations: number;
}

/** What lib/metrics/list-contributions.ts returns, as far as this table reads it. */
export interface ContributionsView {
  environment: string;
  tokens: (Counts & { tokenId: string; name: string; prefix: string; revoked: boolean; lastMinute: string })[];
  unattributed: Counts;
}

const n = (x: number) => x.toLocaleString("en-US");
const rate = (c: Counts) => (c.requests > 0 ? `${((c.errors / c.requests) * 100).toFixed(1)} %` : "—");

/**
 * Who reported the flag's traffic in one environment over the last 24 h, per SDK token (admins only:
 * it names every token in use), so a token reporting far more than it could have served stands out.
 */
export function ContributionsTable({ view }: { view: ContributionsView }) {
  const unattributed = view.unattributed.requests + view.unattributed.evaluations > 0;
  return (
    <div>
      <h3 className="mb-2 text-sm font-semibold">{view.environment}</h3>
      <DataTable stack columns={["SDK token", "Requests", "Error rate", "Evaluations", "Last report"]}>
        {view.tokens.length === 0 && !unattributed ? <EmptyRow colSpan={5}>No reports in the last 24 h</EmptyRow> : null}
        {view.tokens.map((t) => (
          <tr key={t.tokenId}>
            <td className="px-4 py-3">
              <CellLabel>SDK token</CellLabel>
              {t.name} <span className="font-mono text-slate-500">{t.prefix}…</span>
              {t.revoked ? <span className="ml-2 text-xs text-slate-500">(revoked)</span> : null}
            </td>
            <td className="px-4 py-3 tabular-nums">
              <CellLabel>Requests</CellLabel>
              {n(t.requests)}
            </td>
            <td className="px-4 py-3 tabular-nums">
              <CellLabel>Error rate</CellLabel>
              {rate(t)}
            </td>
            <td className="px-4 py-3 tabular-nums">
              <CellLabel>Evaluations</CellLabel>
              {n(t.evaluations)}
            </td>
            <td className="px-4 py-3">
              <CellLabel>Last report</CellLabel>
              <time dateTime={t.lastMinute}>{utcMinute(t.lastMinute)}</time>
            </td>
          </tr>
        ))}
        {unattributed ? (
          <tr>
            <td className="px-4 py-3 text-slate-500">
              <CellLabel>SDK token</CellLabel>
              Not attributed (reported before per-token counts)
            </td>
            <td className="px-4 py-3 tabular-nums">
              <CellLabel>Requests</CellLabel>
              {n(view.unattributed.requests)}
            </td>
            <td className="px-4 py-3 tabular-nums">
              <CellLabel>Error rate</CellLabel>
              {rate(view.unattributed)}
            </td>
            <td className="px-4 py-3 tabular-nums">
              <CellLabel>Evaluations</CellLabel>
              {n(view.unattributed.evaluations)}
            </td>
            <td className="px-4 py-3" />
          </tr>
        ) : null}
      </DataTable>
    </div>
  );
}

/** Every environment's `ContributionsTable` under one heading, with what an admin can do about a token. */
export function ReportedBy({ contributions }: { contributions: ContributionsView[] }) {
  return (
    <section className="space-y-3" aria-labelledby="contributions-title">
      <div>
        <h2 id="contributions-title" className="font-semibold">
          Reported by
        </h2>
        <p className="text-sm text-slate-500">
          Each SDK token&apos;s reports in the last 24 h. A token whose split disagrees with the others is held out of gates; purge its
          reports with <code>POST /api/v1/metrics/purge</code>.
        </p>
      </div>
      <div className="grid gap-6 lg:grid-cols-2">
        {contributions.map((c) => (
          <ContributionsTable key={c.environment} view={c} />
        ))}
      </div>
    </section>
  );
}
