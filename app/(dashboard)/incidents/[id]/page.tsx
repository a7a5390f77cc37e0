import type { Metadata } from "next";
import { Link } from "@/components/ui/link";
import { notFound } from "next/navigation";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { getFlag } from "@/lib/flags/get-flag";
import { incidentIdParam, listAssignableUsers, loadIncident } from "@/lib/incidents/incident-view";
import { Badge } from "@/components/ui/badge";
import { controlOutline } from "@/components/ui/field";
import { KillSwitchButton } from "@/components/incidents/kill-switch-button";
import { AcknowledgeButton, NoteForm, ResolveForm, TriageForm } from "@/components/incidents/incident-forms";
import { requirePageUser } from "../../../_request/session";
import { can } from "@/lib/auth/permissions";
import { utcMinute } from "@/lib/domain/utc-minute";

export const metadata: Metadata = { title: "Incident" };

const TONE = { open: "red", acknowledged: "amber", resolved: "gray" } as const;
const SEVERITY_TONE = { sev1: "red", sev2: "amber", sev3: "gray" } as const;

export default async function IncidentPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requirePageUser();
  const db = getDb();
  const incident = await (async () => {
    try {
      return await loadIncident(db, incidentIdParam((await params).id));
    } catch (err) {
      if (err instanceof AppError && err.code === "NOT_FOUND") notFound();
      throw err;
    }
  })();
  const state = (await getFlag(db, incident.flagKey).catch(() => null))?.environments[incident.environment];
  const canAct = can(user, "incident.update");
  const canKill = can(user, "flag.kill");
  const people = canAct && incident.status !== "resolved" ? await listAssignableUsers(db) : [];
  const snapshot = incident.metricsSnapshot as {
    rollout?: { requests: number; errors: number; p95Ms: number | null; windowSeconds: number } | null;
  };
  return (
    <div className="space-y-6">
      <div>
        <Link href="/incidents" className="text-sm text-slate-500 hover:text-slate-700">
          ← Incidents
        </Link>
        <div className="mt-1 flex flex-wrap items-center gap-3">
          <h1 className="text-2xl font-semibold tracking-tight">{incident.title}</h1>
          <Badge tone={TONE[incident.status]}>{incident.status}</Badge>
          <Badge tone={SEVERITY_TONE[incident.severity]}>{incident.severity}</Badge>
        </div>
        <p className="text-sm text-slate-500">
          Opened {utcMinute(incident.openedAt)} by {incident.openedBy}: {incident.reason}
          {state ? ` · the flag is ${state.killed ? "killed (serving off)" : "not killed"} now` : ""}
        </p>
        <p className="text-sm text-slate-700" data-testid="incident-assignee">
          {incident.assignee ? `Assigned to ${incident.assignee.name}` : "Nobody is assigned"}
        </p>
      </div>
      <div className="flex flex-wrap items-start gap-3">
        {canKill && state ? (
          <KillSwitchButton
            flagKey={incident.flagKey}
            environment={incident.environment}
            killed={state.killed}
            // No rolloutStatus: the rollout the kill interrupted may have moved on since, so the dialog
            // says what happens to one in general.
          />
        ) : null}
        {canAct && incident.status === "open" ? <AcknowledgeButton incidentId={incident.id} version={incident.version} /> : null}
        <a
          href={`/api/v1/incidents/${incident.id}/report`}
          className={`rounded-md bg-white px-3 py-2 text-sm font-semibold shadow-sm ${controlOutline} hover:bg-slate-50`}
        >
          Download report (Markdown)
        </a>
        {incident.rolloutId ? (
          <Link href={`/rollouts/${incident.rolloutId}`} className="px-1 py-2 text-sm text-indigo-700 hover:underline">
            The rollout →
          </Link>
        ) : null}
      </div>
      {canAct && incident.status !== "resolved" ? (
        <TriageForm
          incidentId={incident.id}
          version={incident.version}
          severity={incident.severity}
          assigneeId={incident.assignee?.id ?? null}
          people={people}
          me={user.userId}
        />
      ) : null}
      <section className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200" aria-labelledby="timeline-title">
        <h2 id="timeline-title" className="font-semibold">
          Timeline
        </h2>
        <ol className="mt-3 space-y-2 text-sm" data-testid="incident-timeline">
          {incident.timeline.map((t, i) => (
            <li key={i} className="grid gap-1 sm:grid-cols-[11rem_1fr]">
              <span className="text-slate-500">{t.at.replace("T", " ").slice(0, 19)} UTC</span>
              <span className="min-w-0 break-words whitespace-pre-line">
                <span className="font-medium">{t.actor}</span>
                {t.kind === "note" ? " noted" : ""} — {t.message}
              </span>
            </li>
          ))}
        </ol>
        {snapshot.rollout ? (
          <p className="mt-3 text-sm text-slate-600">
            At the kill: {snapshot.rollout.requests.toLocaleString("en-US")} requests in the last{" "}
            {Math.round(snapshot.rollout.windowSeconds / 60)} min,{" "}
            {snapshot.rollout.requests
              ? `${((snapshot.rollout.errors / snapshot.rollout.requests) * 100).toFixed(2)} % errors`
              : "no traffic"}
            {snapshot.rollout.p95Ms !== null ? `, p95 ≤ ${snapshot.rollout.p95Ms} ms` : ""}.
          </p>
        ) : null}
        {canAct ? <NoteForm incidentId={incident.id} /> : null}
      </section>
      <section className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200" aria-labelledby="report-title">
        <h2 id="report-title" className="font-semibold">
          Report
        </h2>
        <div className="mt-3">
          {incident.status === "resolved" ? (
            <dl className="space-y-2 text-sm">
              {(
                [
                  ["Summary", incident.report.summary],
                  ["Impact", incident.report.impact],
                  ["Root cause", incident.report.rootCause],
                  ["Actions taken", incident.report.actionsTaken],
                  ["Follow-ups", incident.report.followUps],
                ] as const
              ).map(([label, text]) => (
                <div key={label}>
                  <dt className="font-medium text-slate-700">{label}</dt>
                  <dd className="whitespace-pre-line text-slate-700">{text || "—"}</dd>
                </div>
              ))}
            </dl>
          ) : canAct ? (
            <ResolveForm incidentId={incident.id} version={incident.version} />
          ) : (
            <p className="text-sm text-slate-500">On-call, engineers and admins resolve incidents.</p>
          )}
        </div>
      </section>
    </div>
  );
}
