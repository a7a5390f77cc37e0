import type { Db } from "../db/client";
import { AppError, notFound, validationFailed } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import type { ChecklistTickInput } from "./rollout-schemas";
import { lockRollout } from "./lock-rollout";
import { loadRollout, type RolloutDto } from "./rollout-view";
import { requirePermission } from "../auth/permissions";

/** Marks one checklist item of a phase done (or not). Idempotent: the same tick twice is one tick. */
export async function tickChecklist(
  db: Db,
  principal: Principal | null,
  target: { rolloutId: string; phaseIndex: number },
  input: ChecklistTickInput,
): Promise<RolloutDto> {
  const user = requirePermission(principal, "rollout.checklist");
  return db.$transaction(async (tx) => {
    // A tick writes no flag state: the rollout's lock alone keeps the lock order (lib/db/lock-order.ts).
    const { view } = await lockRollout(tx, target.rolloutId);
    const phase = view.phases[target.phaseIndex];
    if (!phase) throw notFound(`Phase ${target.phaseIndex} of this rollout`);
    if (!phase.checklist.includes(input.item)) throw validationFailed({ item: `not on ${phase.name}'s checklist` });
    if (target.phaseIndex <= view.currentPhase) throw new AppError("CONFLICT", `${phase.name} has already started`);
    const was = phase.ticked.some((t) => t.item === input.item);
    if (was === input.done) return view;
    if (input.done) {
      await tx.checklistTick.create({
        data: { rolloutId: target.rolloutId, phaseIndex: target.phaseIndex, item: input.item, tickedBy: user.userId },
      });
    } else {
      await tx.checklistTick.delete({
        where: { rolloutId_phaseIndex_item: { rolloutId: target.rolloutId, phaseIndex: target.phaseIndex, item: input.item } },
      });
    }
    await recordAudit(tx, {
      actor: { id: user.userId, label: actorLabel(user) },
      action: input.done ? "rollout.checklist_tick" : "rollout.checklist_untick",
      target: { type: "rollout", id: `${view.flagKey}/${view.environment}/${view.id}` },
      after: { phase: target.phaseIndex, item: input.item, done: input.done },
    });
    return loadRollout(tx, target.rolloutId);
  });
}
