import type { Db } from "../db/client";
import { AppError } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import type { AcknowledgeInput, ResolveInput } from "./incident-schemas";
import { loadIncident, type IncidentDto } from "./incident-view";
import { requirePermission } from "../auth/permissions";

async function update(
  db: Db,
  principal: Principal | null,
  id: string,
  version: number,
  change: (current: IncidentDto) => { status: IncidentDto["status"]; event: string; data: Record<string, unknown>; kind: string },
): Promise<IncidentDto> {
  const user = requirePermission(principal, "incident.update");
  const label = actorLabel(user);
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 FROM incidents WHERE id = ${id}::uuid FOR UPDATE`;
    const current = await loadIncident(tx, id);
    if (current.version !== version) {
      throw new AppError(
        "VERSION_CONFLICT",
        `The incident was changed by someone else (you sent version ${version}, current is ${current.version}).`,
        { current },
      );
    }
    const next = change(current);
    await tx.incident.update({ where: { id }, data: { ...next.data, status: next.status, version: { increment: 1 } } });
    await tx.incidentEvent.create({ data: { incidentId: id, actorId: user.userId, actor: label, kind: next.kind, message: next.event } });
    await recordAudit(tx, {
      actor: { id: user.userId, label },
      action: `incident.${next.kind}`,
      target: { type: "incident", id: `${current.flagKey}/${current.environment}/${id}` },
      before: { status: current.status, version: current.version },
      after: { status: next.status, version: current.version + 1 },
      reason: next.event,
    });
    return loadIncident(tx, id);
  });
}

/** Someone is on it: the incident stops paging as "open". */
export function acknowledgeIncident(
  db: Db,
  principal: Principal | null,
  id: string,
  input: AcknowledgeInput,
  now = new Date(),
): Promise<IncidentDto> {
  return update(db, principal, id, input.version, (current) => {
    if (current.status !== "open") throw new AppError("CONFLICT", `The incident is already ${current.status}`);
    return {
      status: "acknowledged",
      kind: "acknowledged",
      event: input.note ? `Acknowledged: ${input.note}` : "Acknowledged",
      data: { acknowledgedAt: now, acknowledgedBy: principal?.kind === "user" ? principal.userId : null },
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
