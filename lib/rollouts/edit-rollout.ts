import type { Db } from "../db/client";
import { Prisma } from "../db/generated/client";
import { AppError, validationFailed } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import { transition } from "../domain/rollout";
import { assertPhaseSegments, assertValidPlan, phaseRow, toPhasePlan } from "./create-rollout";
import type { EditRolloutInput } from "./rollout-schemas";
import { lockRollout } from "./lock-rollout";
import { loadRollout, type RolloutDto } from "./rollout-view";
import { notifyApprovalRequested } from "./rollout-notifications";
import { requirePermission } from "../auth/permissions";
import { assertEnvironmentWebhooks, normalizeRecipients, sameRecipients } from "./communication-plan";

const comparable = (p: {
  name: string;
  percent: number;
  minSoakSeconds: number;
  criteria: unknown;
  requiredApprovals: number;
  checklist: string[];
  allowlist: string[];
  segments?: number[];
}) =>
  JSON.stringify([
    p.name,
    p.percent,
    p.minSoakSeconds,
    // jsonb keeps keys in its own order; compare criteria by content.
    Object.entries((p.criteria ?? {}) as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
    p.requiredApprovals,
    p.checklist,
    p.allowlist,
    p.segments ?? [],
  ]);

/**
 * Changes the phases still to come, the impact assessment, the communication plan, or automatic
 * progression. A change to what approvers signed (phases, impact, requirements, who is notified) raises the plan version, which voids every form signed on
 * an older one; the editor, like the requester, may not approve the result. Phases already started
 * cannot change.
 */
export async function editRollout(
  db: Db,
  principal: Principal | null,
  id: string,
  input: EditRolloutInput,
  now = new Date(),
): Promise<RolloutDto> {
  const user = requirePermission(principal, "rollout.edit");
  return db.$transaction(
    async (tx) => {
      // A plan edit writes no flag state: the rollout's lock alone keeps the lock order.
      const { view } = await lockRollout(tx, id, { version: input.version, now });
      const allowed = transition(view.status, view.currentPhase, view.phases.length, "edit");
      if (!allowed.ok) throw new AppError("CONFLICT", `Cannot edit: ${allowed.reason}`, { current: view });

      let planChanged = false;
      if (input.phases) {
        const phases = input.phases.map(toPhasePlan);
        const problems: Record<string, string> = {};
        for (let i = 0; i <= view.currentPhase; i++) {
          const before = view.phases[i]!;
          if (!phases[i] || comparable(phases[i]!) !== comparable(before))
            problems[`phases.${i}`] = `${before.name} has started; it cannot change`;
        }
        if (Object.keys(problems).length) throw validationFailed(problems, "Started phases cannot change");
        assertValidPlan(phases);
        const changed =
          phases.length !== view.phases.length ||
          phases.some(
            (p, i) => comparable(p) !== comparable(view.phases[i]!) || (p.notBefore?.toISOString() ?? null) !== view.phases[i]!.notBefore,
          );
        if (changed) {
          planChanged = true;
          await assertPhaseSegments(tx, phases.slice(view.currentPhase + 1), view.currentPhase + 1);
          await tx.rolloutPhase.deleteMany({ where: { rolloutId: id, index: { gt: view.currentPhase } } });
          await tx.rolloutPhase.createMany({
            data: phases.slice(view.currentPhase + 1).map((p, k) => ({ rolloutId: id, ...phaseRow(p, view.currentPhase + 1 + k) })),
          });
        }
      }
      if (input.impact && JSON.stringify(input.impact) !== JSON.stringify(view.impact)) planChanged = true;
      // The requirement is part of what approvers signed: changing it is a plan change.
      const requireChanged =
        input.requireEarlier !== undefined && JSON.stringify(input.requireEarlier) !== JSON.stringify(view.requireEarlier);
      if (requireChanged) planChanged = true;
      // So is the communication plan (an item approvers tick as reviewed).
      const recipients = input.notifyWebhookIds === undefined ? undefined : normalizeRecipients(input.notifyWebhookIds);
      const recipientsChanged = recipients !== undefined && !sameRecipients(recipients, view.notifyWebhookIds);
      if (recipientsChanged) {
        await assertEnvironmentWebhooks(tx, view.environment, recipients);
        planChanged = true;
      }
      const autoChanged = input.autoAdvance !== undefined && input.autoAdvance !== view.autoAdvance;
      if (!planChanged && !autoChanged) return view;

      await tx.rollout.update({
        where: { id },
        data: {
          version: { increment: 1 },
          updatedAt: now,
          ...(input.impact ? { impact: input.impact } : {}),
          ...(input.autoAdvance !== undefined ? { autoAdvance: input.autoAdvance } : {}),
          ...(requireChanged ? { requireEarlier: input.requireEarlier ?? Prisma.DbNull } : {}),
          ...(recipientsChanged ? { notifyAllWebhooks: recipients === null, notifyWebhookIds: recipients ?? [] } : {}),
          ...(planChanged ? { planVersion: { increment: 1 }, lastEditedBy: user.userId, planChangedAt: now } : {}),
        },
      });
      const after = await loadRollout(tx, id, now);
      const voided = after.approvals.filter((a) => a.state === "void").length - view.approvals.filter((a) => a.state === "void").length;
      await recordAudit(tx, {
        actor: { id: user.userId, label: actorLabel(user) },
        action: "rollout.edit",
        target: { type: "rollout", id: `${view.flagKey}/${view.environment}/${id}` },
        before: {
          planVersion: view.planVersion,
          phases: view.phases.map((p) => ({ ...p, ticked: undefined })),
          impact: view.impact,
          autoAdvance: view.autoAdvance,
          requireEarlier: view.requireEarlier,
          notifyWebhookIds: view.notifyWebhookIds,
        },
        after: {
          planVersion: after.planVersion,
          phases: after.phases.map((p) => ({ ...p, ticked: undefined })),
          impact: after.impact,
          autoAdvance: after.autoAdvance,
          requireEarlier: after.requireEarlier,
          notifyWebhookIds: after.notifyWebhookIds,
          voidedApprovals: voided,
        },
      });
      // Voided forms must be signed again: ask for them anew.
      if (voided > 0) await notifyApprovalRequested(tx, after);
      return after;
    },
    { timeout: 20_000, maxWait: 20_000 },
  );
}
