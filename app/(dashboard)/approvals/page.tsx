import type { Metadata } from "next";
import { Link } from "@/components/ui/link";
import { getDb } from "@/lib/db/client";
import { approvalInbox, listAwaitingApproval } from "@/lib/rollouts/list-rollouts";
import { DataTable } from "@/components/ui/data-table";
import { requirePageUser } from "../../_request/session";
import { can } from "@/lib/auth/permissions";
import { formatDuration } from "@/lib/domain/rollout";
import { Badge } from "@/components/ui/badge";
import { utcMinute } from "@/lib/domain/utc-minute";

export const metadata: Metadata = { title: "Approvals" };

/** A product owner's inbox: phases waiting for their signature. Others see who has been asked and who signed. */
export default async function ApprovalsPage() {
  const user = await requirePageUser();
  const db = getDb();
  const [inbox, waiting] = await Promise.all([approvalInbox(db, user), listAwaitingApproval(db, user)]);
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Approvals</h1>
        <p className="text-sm text-slate-500">
          Phases of live rollouts that need a product owner&apos;s signed approval before they may start.
        </p>
      </div>
      {can(user, "rollout.approve") ? (
        <section aria-labelledby="inbox-title" className="space-y-3">
          <h2 id="inbox-title" className="text-lg font-semibold">
            Waiting for you ({inbox.length})
          </h2>
          {inbox.length === 0 ? (
            <p className="text-sm text-slate-500">Nothing waits for your signature.</p>
          ) : (
            <ul className="space-y-2" data-testid="inbox">
              {inbox.map((item) => {
                const last = item.requests.at(-1);
                return (
                  <li
                    key={`${item.rollout.id}:${item.phaseIndex}`}
                    className="rounded-xl bg-white p-4 break-words shadow-sm ring-1 ring-slate-200"
                    data-testid="inbox-item"
                  >
                    <div className="flex flex-wrap items-center gap-2">
                      <Link
                        href={`/rollouts/${item.rollout.id}/phases/${item.phaseIndex}/approve`}
                        className="font-medium text-indigo-700 hover:underline"
                      >
                        {item.rollout.flagKey} in {item.rollout.environment}: {item.phaseName}
                      </Link>
                      {item.askedYou ? <Badge tone="amber">asked you</Badge> : null}
                    </div>
                    <p className="text-sm text-slate-500">
                      {last
                        ? `Asked by ${last.requestedBy.name}${last.productOwners.length ? ` (of ${last.productOwners.map((p) => p.name).join(", ")})` : " (of any product owner)"}`
                        : `Requested by ${item.rollout.requester.name}`}{" "}
                      · risk {String((item.rollout.impact as { riskLevel?: string }).riskLevel ?? "not stated")} ·{" "}
                      {item.rollout.gates.filter((g) => g.ok).length}/{item.rollout.gates.length} gates green
                    </p>
                    {item.waitingSince ? (
                      <p className="text-sm text-slate-500">
                        Waiting since <time dateTime={item.waitingSince}>{utcMinute(item.waitingSince)}</time> (
                        {formatDuration(item.waitingSeconds ?? 0)})
                      </p>
                    ) : null}
                    {last?.note ? <p className="mt-1 text-sm whitespace-pre-line text-slate-700">“{last.note}”</p> : null}
                  </li>
                );
              })}
            </ul>
          )}
        </section>
      ) : null}
      <section aria-labelledby="all-title" className="space-y-3">
        <h2 id="all-title" className="text-lg font-semibold">
          All pending approvals
        </h2>
        <DataTable columns={["Rollout", "Next phase", "Needed", "Signed"]}>
          {waiting.map((r) => {
            const next = r.phases[r.currentPhase + 1]!;
            const forms = r.approvals.filter((a) => a.phaseIndex === next.index && a.state === "live");
            return (
              <tr key={r.id}>
                <td className="px-4 py-3">
                  <Link href={`/rollouts/${r.id}`} className="font-mono text-indigo-700 hover:underline">
                    {r.flagKey}
                  </Link>{" "}
                  <span className="text-slate-500">{r.environment}</span>
                </td>
                <td className="px-4 py-3">{next.name}</td>
                <td className="px-4 py-3">{next.requiredApprovals}</td>
                <td className="px-4 py-3">
                  {forms.length ? forms.map((a) => `${a.signer.name} (${a.decision})`).join(", ") : "nobody yet"}
                </td>
              </tr>
            );
          })}
          {waiting.length === 0 ? (
            <tr>
              <td colSpan={4} className="px-4 py-8 text-center text-slate-500">
                No rollout waits for an approval.
              </td>
            </tr>
          ) : null}
        </DataTable>
      </section>
    </div>
  );
}
