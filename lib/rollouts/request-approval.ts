import type { Db, Tx } from "../db/client";
import { AppError, validationFailed } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, requireUser, type Principal } from "../auth/principal";
import { requirePermission } from "../auth/permissions";
import { uuidParam } from "../validation/text";
import { lockRollout } from "./lock-rollout";
import { phaseToApprove } from "./phase-to-approve";
import { notifyApprovalRequested } from "./rollout-notifications";
import type { ApprovalRequestInput } from "./rollout-schemas";

export interface ApprovalRequestDto {
  id: string;
  rolloutId: string;
  phaseIndex: number;
  planVersion: number;
  requestedBy: { id: string; name: string };
  requestedAt: string;
  /** Empty: any product owner may answer. */
  productOwners: { id: string; name: string; email: string }[];
  note: string | null;
}

/**
 * The people a request names, each by user id or email: every one must be an enabled user holding
 * product_owner who may sign this rollout, otherwise 400 on `productOwners` naming the entry, so a typo
 * never silently asks nobody.
 */
async function resolveProductOwners(
  tx: Tx,
  entries: string[],
  barred: { requestedBy: string; planEditors: string[] },
): Promise<{ id: string; name: string; email: string }[]> {
  const found: { id: string; name: string; email: string }[] = [];
  for (const [i, entry] of entries.entries()) {
    const id = uuidParam(entry);
    const user = await tx.user.findFirst({
      where: id ? { id } : { email: { equals: entry, mode: "insensitive" } },
      select: { id: true, name: true, email: true, roles: true, disabledAt: true },
    });
    if (!user || user.disabledAt) throw validationFailed({ productOwners: `'${entry}' is not a user` }, "Unknown product owner");
    if (!user.roles.includes("product_owner"))
      throw validationFailed({ productOwners: `${user.name} is not a product owner` }, `Entry ${i} cannot approve`);
    // Four eyes: asking someone the approval would refuse only delays the rollout.
    if (user.id === barred.requestedBy || barred.planEditors.includes(user.id))
      throw validationFailed(
        { productOwners: `${user.name} requested this rollout or edited its plan, so cannot approve it` },
        `Entry ${i} cannot approve`,
      );
    if (!found.some((u) => u.id === user.id)) found.push({ id: user.id, name: user.name, email: user.email });
  }
  return found;
}

/**
 * An engineer asks for a phase's approval, naming product owners or none (anyone). Only a phase that
 * needs signatures and has not started; asking again is allowed (a reminder) and is recorded and sent
 * again. The request, its audit entry and its webhook commit together.
 */
export async function requestApproval(
  db: Db,
  principal: Principal | null,
  target: { rolloutId: string; phaseIndex: number },
  input: ApprovalRequestInput,
  now = new Date(),
): Promise<ApprovalRequestDto> {
  const user = requirePermission(principal, "rollout.request_approval");
  return db.$transaction(
    async (tx) => {
      // The rollout's lock orders this against plan edits and advances, so the phase checked below is
      // still the one asked about when the request commits.
      const { view } = await lockRollout(tx, target.rolloutId, { now });
      const phase = phaseToApprove(view, target.phaseIndex);
      if (phase.requiredApprovals === 0) throw new AppError("CONFLICT", `Phase ${target.phaseIndex} (${phase.name}) needs no approval`);
      const owners = await resolveProductOwners(tx, input.productOwners, view);
      const row = await tx.approvalRequest.create({
        data: {
          rolloutId: view.id,
          phaseIndex: target.phaseIndex,
          planVersion: view.planVersion,
          requestedBy: user.userId,
          requestedAt: now,
          productOwners: owners.map((o) => o.id),
          note: input.note || null,
        },
      });
      await recordAudit(tx, {
        actor: { id: user.userId, label: actorLabel(user) },
        action: "approval.requested",
        target: { type: "rollout", id: `${view.flagKey}/${view.environment}/${view.id}` },
        after: { request: row.id, phase: target.phaseIndex, planVersion: view.planVersion, productOwners: owners.map((o) => o.email) },
        reason: row.note,
      });
      await notifyApprovalRequested(tx, view, {
        phaseIndex: target.phaseIndex,
        by: user.name,
        productOwners: owners.map((o) => o.name),
        note: row.note,
      });
      return {
        id: row.id,
        rolloutId: row.rolloutId,
        phaseIndex: row.phaseIndex,
        planVersion: row.planVersion,
        requestedBy: { id: user.userId, name: user.name },
        requestedAt: row.requestedAt.toISOString(),
        productOwners: owners,
        note: row.note,
      };
    },
    { timeout: 20_000, maxWait: 20_000 },
  );
}

/** Every request for the given rollouts, oldest first, with the people named. */
export async function listApprovalRequests(db: Db | Tx, principal: Principal | null, rolloutIds: string[]): Promise<ApprovalRequestDto[]> {
  requireUser(principal);
  if (rolloutIds.length === 0) return [];
  const rows = await db.approvalRequest.findMany({ where: { rolloutId: { in: rolloutIds } }, orderBy: { requestedAt: "asc" } });
  const ids = [...new Set(rows.flatMap((r) => [r.requestedBy, ...r.productOwners]))];
  const users = new Map(
    (await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, email: true } })).map((u) => [u.id, u]),
  );
  const person = (id: string) => users.get(id) ?? { id, name: "unknown user", email: "" };
  return rows.map((r) => ({
    id: r.id,
    rolloutId: r.rolloutId,
    phaseIndex: r.phaseIndex,
    planVersion: r.planVersion,
    requestedBy: { id: r.requestedBy, name: person(r.requestedBy).name },
    requestedAt: r.requestedAt.toISOString(),
    productOwners: r.productOwners.map(person),
    note: r.note,
  }));
}

/** The people an engineer may ask: enabled, human users holding product_owner, by name. */
export async function listProductOwners(db: Db, principal: Principal | null): Promise<{ id: string; name: string; email: string }[]> {
  requireUser(principal);
  return db.user.findMany({
    where: { roles: { has: "product_owner" }, disabledAt: null, isService: false },
    select: { id: true, name: true, email: true },
    orderBy: { name: "asc" },
  });
}
