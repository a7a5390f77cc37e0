import type { Db, Tx } from "../db/client";
import { AppError } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import type { AcknowledgeInput, NoteInput, ResolveInput, TriageInput } from "./incident-schemas";
import { loadIncident, type IncidentDto } from "./incident-view";
import { can, requirePermission } from "../auth/permissions";
import type { Role } from "../auth/roles";

interface Change {
  /** The new status; unchanged when absent. */
  status?: IncidentDto["status"];
  event: string;
  data: Record<string, unknown>;
  kind: string;
  /** What the audit entry records besides status and version. */
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

/**
 * Every change of an incident: the row locked, the version compared (`null` when the change cannot
 * overwrite anyone's, as a note), one timeline event and one audit entry in the same transaction.
 */
async function update(
  db: Db,
  principal: Principal | null,
  id: string,
  version: number | null,
  change: (current: IncidentDto, tx: Tx) => Change | null | Promise<Change | null>,
): Promise<IncidentDto> {
  const user = requirePermission(principal, "incident.update");
  const label = actorLabel(user);
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 FROM incidents WHERE id = ${id}::uuid FOR UPDATE`;
    const current = await loadIncident(tx, id);
    if (version !== null && current.version !== version) {
      throw new AppError(
        "VERSION_CONFLICT",
        `The incident was changed by someone else (you sent version ${version}, current is ${current.version}).`,
        { current },
      );
    }
    const next = await change(current, tx);
    if (!next) return current;
    const status = next.status ?? current.status;
    await tx.incident.update({ where: { id }, data: { ...next.data, status, version: { increment: 1 } } });
    await tx.incidentEvent.create({ data: { incidentId: id, actorId: user.userId, actor: label, kind: next.kind, message: next.event } });
    await recordAudit(tx, {
      actor: { id: user.userId, label },
      action: `incident.${next.kind}`,
      target: { type: "incident", id: `${current.flagKey}/${current.environment}/${id}` },
      before: { status: current.status, version: current.version, ...next.before },
      after: { status, version: current.version + 1, ...next.after },
      reason: next.event,
    });
    return loadIncident(tx, id);
  });
}

/**
 * Severity and assignee. The assignee must be an active person who may work incidents, so "assigned"
 * never names someone who cannot acknowledge or resolve it. A resolved incident is closed to triage.
 */
export function triageIncident(db: Db, principal: Principal | null, id: string, input: TriageInput): Promise<IncidentDto> {
  return update(db, principal, id, input.version, async (current, tx) => {
    if (current.status === "resolved") throw new AppError("CONFLICT", "The incident is resolved; its severity and assignee are final");
    const data: Record<string, unknown> = {};
    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    const said: string[] = [];
    if (input.severity !== undefined && input.severity !== current.severity) {
      data.severity = input.severity;
      before.severity = current.severity;
      after.severity = input.severity;
      said.push(`Severity ${current.severity} → ${input.severity}`);
    }
    if (input.assigneeId !== undefined && input.assigneeId !== (current.assignee?.id ?? null)) {
      let name: string | null = null;
      if (input.assigneeId !== null) {
        const person = await tx.user.findUnique({ where: { id: input.assigneeId } });
        if (!person || person.disabledAt || person.isService) {
          throw new AppError("UNPROCESSABLE", "No such active user", { fields: { assigneeId: "no active user has this id" } });
        }
        if (!can({ roles: person.roles as Role[] }, "incident.update")) {
          throw new AppError("UNPROCESSABLE", `${person.name} may not work incidents`, {
            fields: { assigneeId: "the assignee must be on-call, an engineer or an admin" },
          });
        }
        name = person.name;
      }
      data.assigneeId = input.assigneeId;
      before.assigneeId = current.assignee?.id ?? null;
      after.assigneeId = input.assigneeId;
      said.push(name ? `Assigned to ${name}` : "Unassigned");
    }
    // Sending what is already there (two people pressing "assign to me" for the same person) is no change.
    if (said.length === 0) return null;
    return { kind: "triaged", event: said.join("; "), data, before, after };
  });
}

/** A note on the timeline: it cannot overwrite anything, so a version is only checked when sent. */
export function addIncidentNote(db: Db, principal: Principal | null, id: string, input: NoteInput): Promise<IncidentDto> {
  return update(db, principal, id, input.version ?? null, () => ({ kind: "note", event: input.body, data: {} }));
}

/** Someone is on it: the incident stops paging as "open". */
export function acknowledgeIncident(
  db: Db,
  principal: Principal | null,
  id: string,
  input: AcknowledgeInput,
  now = new Date(),
): Promise<IncidentDto> {
  return update(db, principal, id, input.version, async (current, tx) => {
    if (current.status !== "open") throw new AppError("CONFLICT", `The incident is already ${current.status}`);
    // Whoever acknowledges is on it, unless someone was already assigned or it is automation (as triage refuses).
    const person =
      current.assignee === null && principal?.kind === "user"
        ? await tx.user.findFirst({ where: { id: principal.userId, isService: false, disabledAt: null }, select: { id: true } })
        : null;
    return {
      status: "acknowledged",
      kind: "acknowledged",
      event: input.note ? `Acknowledged: ${input.note}` : "Acknowledged",
      data: {
        acknowledgedAt: now,
        acknowledgedBy: principal?.kind === "user" ? principal.userId : null,
        ...(person ? { assigneeId: person.id } : {}),
      },
    };
  });
}

/** Closes the incident with its report; the flag itself is not touched (restore is its own step). */
export function resolveIncident(
  db: Db,
  principal: Principal | null,
  id: string,
  input: ResolveInput,
  now = new Date(),
): Promise<IncidentDto> {
  const report = {
    summary: input.summary,
    impact: input.impact,
    rootCause: input.rootCause,
    actionsTaken: input.actionsTaken,
    followUps: input.followUps,
  };
  return update(db, principal, id, input.version, (current) => {
    if (current.status === "resolved") throw new AppError("CONFLICT", "The incident is already resolved");
    return {
      status: "resolved",
      kind: "resolved",
      event: `Resolved: ${report.summary}`,
      data: { resolvedAt: now, resolvedBy: principal?.kind === "user" ? principal.userId : null, report },
    };
  });
}
