import type { Db, Tx } from "../db/client";
import { notFound } from "../errors";
import { pathId } from "../validation/path-id";
import { requireUser, type Principal } from "../auth/principal";
import type { Severity } from "./incident-schemas";
import { rolesFor } from "../auth/permissions";

export type IncidentStatus = "open" | "acknowledged" | "resolved";

export interface IncidentReport {
  summary?: string;
  impact?: string;
  rootCause?: string;
  actionsTaken?: string;
  followUps?: string;
}

export interface TimelineEntry {
  at: string;
  actor: string;
  kind: string;
  message: string;
}

export interface IncidentDto {
  id: string;
  title: string;
  flagKey: string;
  environment: string;
  status: IncidentStatus;
  reason: string;
  openedBy: string;
  openedAt: string;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
  rolloutId: string | null;
  metricsSnapshot: unknown;
  report: IncidentReport;
  version: number;
  /** sev1 (worst) to sev3. */
  severity: Severity;
  assignee: { id: string; name: string } | null;
  /** The timeline's notes alone, oldest first (they are in `timeline` too, as kind "note"). */
  notes: { at: string; actor: string; body: string }[];
  /** The incident's own entries and the flag's audit entries from an hour before it opened until it closed. */
  timeline: TimelineEntry[];
}

export function incidentIdParam(raw: string): string {
  return pathId(raw, "Incident");
}

export async function loadIncident(tx: Tx, id: string): Promise<IncidentDto> {
  const row = await tx.incident.findUnique({ where: { id }, include: { events: { orderBy: { id: "asc" } } } });
  if (!row) throw notFound(`Incident '${id}'`);
  const flag = await tx.flag.findUniqueOrThrow({ where: { id: row.flagId }, select: { key: true } });
  const assignee = row.assigneeId ? await tx.user.findUnique({ where: { id: row.assigneeId }, select: { id: true, name: true } }) : null;
  const from = new Date(row.openedAt.getTime() - 3600_000);
  const until = row.resolvedAt ?? new Date();
  const audit = await tx.auditLog.findMany({
    where: {
      at: { gte: from, lte: until },
      OR: [{ targetId: `${flag.key}/${row.environmentKey}` }, { targetId: { startsWith: `${flag.key}/${row.environmentKey}/` } }],
    },
    orderBy: { id: "asc" },
    take: 500,
  });
  const timeline: TimelineEntry[] = [
    ...row.events.map((e) => ({ at: e.at.toISOString(), actor: e.actor, kind: e.kind, message: e.message })),
    ...audit
      // The incident's own events say these better: the kill, and the incident's own changes (whose
      // audit entries target `<flag>/<env>/<incident>` and so match the flag's prefix too).
      .filter((a) => a.action !== "flag_state.kill" && !a.action.startsWith("incident."))
      .map((a) => ({ at: a.at.toISOString(), actor: a.actor, kind: a.action, message: a.reason ? `${a.action}: ${a.reason}` : a.action })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  return {
    id: row.id,
    title: row.title,
    flagKey: flag.key,
    environment: row.environmentKey,
    status: row.status as IncidentStatus,
    reason: row.reason,
    openedBy: row.openedByLabel,
    openedAt: row.openedAt.toISOString(),
    acknowledgedAt: row.acknowledgedAt?.toISOString() ?? null,
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
    rolloutId: row.rolloutId,
    metricsSnapshot: row.metricsSnapshot,
    report: row.report as IncidentReport,
    version: row.version,
    severity: row.severity as Severity,
    assignee: assignee ? { id: assignee.id, name: assignee.name } : null,
    notes: row.events.filter((e) => e.kind === "note").map((e) => ({ at: e.at.toISOString(), actor: e.actor, body: e.message })),
    timeline,
  };
}

export interface IncidentSummary {
  id: string;
  title: string;
  flagKey: string;
  environment: string;
  status: IncidentStatus;
  reason: string;
  openedBy: string;
  openedAt: string;
  severity: Severity;
  assigneeId: string | null;
}

/** Newest first; `open` lists open and acknowledged ones. */
export async function listIncidents(
  db: Db,
  principal: Principal | null,
  query: { status?: "open" | "all"; limit?: number } = {},
): Promise<IncidentSummary[]> {
  requireUser(principal);
  const rows = await db.incident.findMany({
    where: query.status === "all" ? {} : { status: { not: "resolved" } },
    orderBy: { openedAt: "desc" },
    take: query.limit ?? 100,
  });
  const flags = new Map(
    (await db.flag.findMany({ where: { id: { in: [...new Set(rows.map((r) => r.flagId))] } }, select: { id: true, key: true } })).map(
      (f) => [f.id, f.key],
    ),
  );
  return rows.map((r) => ({
    id: r.id,
    title: r.title,
    flagKey: flags.get(r.flagId) ?? "?",
    environment: r.environmentKey,
    status: r.status as IncidentStatus,
    reason: r.reason,
    openedBy: r.openedByLabel,
    openedAt: r.openedAt.toISOString(),
    severity: r.severity as Severity,
    assigneeId: r.assigneeId,
  }));
}

export async function countOpenIncidents(db: Db): Promise<number> {
  return db.incident.count({ where: { status: { not: "resolved" } } });
}

/** Who an incident can be assigned to: active people who may work incidents (as triageIncident checks). */
export async function listAssignableUsers(db: Db): Promise<{ id: string; name: string }[]> {
  return db.user.findMany({
    where: { disabledAt: null, isService: false, roles: { hasSome: [...rolesFor("incident.update")] } },
    orderBy: { name: "asc" },
    select: { id: true, name: true },
  });
}
