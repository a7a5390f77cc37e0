import { createHash, randomUUID } from "node:crypto";
import type { Db } from "../db/client";
import { AppError, validationFailed } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import type { ApprovalFormInput } from "./rollout-schemas";
import { lockRollout } from "./lock-rollout";
import { phaseToApprove } from "./phase-to-approve";
import { loadRollout, type ApprovalDto, type RolloutDto } from "./rollout-view";
import { notifyApprovalSigned } from "./rollout-notifications";
import { stableStringify } from "../domain/stable-json";
import { requirePermission } from "../auth/permissions";
import { gatesFailingSince, type Gate } from "../domain/rollout";

/** The plan was edited after the signer opened the form: what they reviewed is not what they would sign. */
const planChangedSince = (reviewed: number, view: RolloutDto) =>
  new AppError(
    "VERSION_CONFLICT",
    `The plan was edited while you reviewed it (you reviewed version ${reviewed}, it is now version ${view.planVersion}): review it again and sign`,
    { current: view, fields: { reviewed: `the plan is now version ${view.planVersion}: review each item again` } },
  );

/** A gate the signer was shown passing fails now: what they would sign is not what they saw. */
const gatesChangedSince = (failing: readonly Gate[], view: RolloutDto) =>
  new AppError(
    "VERSION_CONFLICT",
    `Since you opened the form, ${failing.map((g) => `the ${g.name} gate fails (${g.reason})`).join("; ")}: review the rollout again and sign`,
    { current: view, fields: { passingGates: `${failing.map((g) => g.name).join(", ")} no longer pass` } },
  );

/**
 * A product owner's signed form for one phase (Appendix C). The record is immutable (a trigger
 * refuses edits) and bound to the plan version it was signed on: a later plan edit voids it. It keeps
 * what the signer saw (gates and metrics) and a SHA-256 over all of it, also written to the audit log.
 * The requester and everyone who edited any version of the plan may not approve it; a signer replaces their own form
 * only by naming it (`supersedes`), which keeps the old one as superseded. With `planVersion` (the
 * version the signer was shown), a plan edited since is refused rather than signed unseen; with
 * `passingGates` (the gates shown passing), so is a form one of whose green gates has since turned red.
 */
export async function signApproval(
  db: Db,
  principal: Principal | null,
  target: { rolloutId: string; phaseIndex: number },
  input: ApprovalFormInput,
  now = new Date(),
): Promise<ApprovalDto> {
  const user = requirePermission(principal, "rollout.approve");
  if (input.signature !== user.name) {
    throw validationFailed(
      { signature: `type your name exactly as Rollgate knows it: ${user.name}` },
      "The signature does not match your name",
    );
  }
  return db.$transaction(
    async (tx) => {
      // Serialises signers of one rollout, so the checks below see every earlier form. A signature
      // writes no flag state, so the rollout's lock alone keeps the lock order (lib/db/lock-order.ts).
      const { view } = await lockRollout(tx, target.rolloutId, { now });
      if (input.planVersion !== undefined && input.planVersion !== view.planVersion) throw planChangedSince(input.planVersion, view);
      const turnedRed = gatesFailingSince(input.passingGates ?? [], view.gates);
      if (turnedRed.length > 0) throw gatesChangedSince(turnedRed, view);
      const phase = phaseToApprove(view, target.phaseIndex);
      if (user.userId === view.requestedBy)
        throw new AppError("FORBIDDEN", "You requested this rollout; another product owner must approve it");
      if (view.planEditors.includes(user.userId))
        throw new AppError(
          "FORBIDDEN",
          "You edited this rollout's plan (an edit stays in every later version); another product owner must approve it",
        );

      const mine = await tx.approval.findFirst({
        where: { rolloutId: target.rolloutId, phaseIndex: target.phaseIndex, signerId: user.userId, supersededBy: null },
      });
      if (mine && mine.planVersion === view.planVersion && input.supersedes !== mine.id) {
        throw new AppError(
          "CONFLICT",
          `You already ${mine.decision} this phase on this plan version; send supersedes: "${mine.id}" to replace your form`,
          {
            fields: { supersedes: `your current form is ${mine.id}` },
          },
        );
      }
      if (input.supersedes && input.supersedes !== mine?.id) {
        throw validationFailed({ supersedes: "is not your current form for this phase" });
      }

      const id = randomUUID();
      const snapshot = {
        gates: view.gates,
        metrics: view.metrics,
        status: view.status,
        currentPhase: view.currentPhase,
        // What the signer was shown passing, when the form said: part of the hash only then.
        ...(input.passingGates ? { passingGatesShown: input.passingGates } : {}),
      };
      const record = {
        id,
        rolloutId: target.rolloutId,
        phaseIndex: target.phaseIndex,
        planVersion: view.planVersion,
        phase: { ...phase, ticked: undefined },
        impact: view.impact,
        signerId: user.userId,
        decision: input.decision,
        riskLevel: input.riskLevel,
        reviewed: input.reviewed,
        conditions: input.conditions ?? null,
        // Only when set, so the hash of a form without them is what it always was.
        ...(input.notBefore ? { notBefore: new Date(input.notBefore).toISOString() } : {}),
        ...(input.officeHoursTimeZone ? { officeHoursTimeZone: input.officeHoursTimeZone } : {}),
        reason: input.reason ?? null,
        signature: input.signature,
        signedAt: now.toISOString(),
        metricsSnapshot: snapshot,
      };
      const contentHash = createHash("sha256").update(stableStringify(record)).digest("hex");
      // The old form points at the new one first (the FK is deferred), so there is never a moment
      // with two live forms of one signer.
      if (mine) await tx.approval.update({ where: { id: mine.id }, data: { supersededBy: id } });
      await tx.approval.create({
        data: {
          id,
          rolloutId: target.rolloutId,
          phaseIndex: target.phaseIndex,
          planVersion: view.planVersion,
          signerId: user.userId,
          signerName: user.name,
          decision: input.decision,
          riskLevel: input.riskLevel,
          impact: JSON.stringify(view.impact),
          reviewed: input.reviewed,
          conditions: input.conditions ?? null,
          notBefore: input.notBefore ? new Date(input.notBefore) : null,
          officeHoursTimeZone: input.officeHoursTimeZone ?? null,
          reason: input.reason ?? null,
          signature: input.signature,
          metricsSnapshot: snapshot as object,
          signedAt: now,
          contentHash,
        },
      });
      await recordAudit(tx, {
        actor: { id: user.userId, label: actorLabel(user) },
        action: `approval.${input.decision}`,
        target: { type: "rollout", id: `${view.flagKey}/${view.environment}/${view.id}` },
        before: mine ? { supersedes: mine.id, decision: mine.decision } : undefined,
        after: {
          approval: id,
          phase: target.phaseIndex,
          planVersion: view.planVersion,
          decision: input.decision,
          conditions: input.conditions,
          notBefore: input.notBefore,
          officeHoursTimeZone: input.officeHoursTimeZone,
          contentHash,
        },
        reason: input.reason ?? input.conditions ?? null,
      });
      const after = await loadRollout(tx, target.rolloutId, now);
      const signed = after.approvals.find((a) => a.id === id)!;
      await notifyApprovalSigned(tx, after, signed);
      return signed;
    },
    { timeout: 20_000, maxWait: 20_000 },
  );
}
