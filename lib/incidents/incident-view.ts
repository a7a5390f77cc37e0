import type { Db, Tx } from "../db/client";
import { notFound } from "../errors";
import { uuidParam } from "../validation/text";
import { requireUser, type Principal } from "../auth/principal";

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
  /** The incident's own entries and the flag's audit entries from an hour before it opened until it closed. */
  timeline: TimelineEntry[];
}

export function incidentIdParam(raw: string): string {
  const id = uuidParam(raw);
  if (!id) throw notFound(`Incident '${raw.slice(0, 60)}'`);
  return id;
}

export async function loadIncident(tx: Tx, id: string): Promise<IncidentDto> {
  const row = await tx.incident.findUnique({ where: { id }, include: { events: { orderBy: { id: "asc" } } } });
  if (!row) throw notFound(`Incident '${id}'`);
  const flag = await tx.flag.findUniqueOrThrow({ where: { id: row.flagId }, select: { key: true } });
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
      .filter((a) => !["flag_state.kill"].includes(a.action)) // the incident's own entry says it better
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
  }));
}

export async function countOpenIncidents(db: Db): Promise<number> {
  return db.incident.count({ where: { status: { not: "resolved" } } });
}
