import type { Db, Tx } from "../db/client";
import { AppError } from "../errors";
import { lockFlagForChange } from "../db/lock-order";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import { loadRollout } from "../rollouts/rollout-view";
import { notifyTransition } from "../rollouts/rollout-notifications";
import { toFlagStateDto, type FlagStateDto } from "./flag-dto";
import type { UpdateFlagStateInput } from "./flag-schemas";
import { requirePermission } from "../auth/permissions";
import { Prisma } from "../db/generated/client";
import type { Targeting } from "../domain/targeting/model";
import { checkTargeting } from "../targeting/check-targeting";
import { completeTargeting } from "../targeting/targeting-schemas";

/** Who last changed a flag state, from the audit log (a person, a token, a guardrail, the auto-advance worker). */
export interface LastChange {
  by: string;
  action: string;
  at: string;
}

/** The live rollout a manual change ran into, as a 409 body names it. */
export interface LiveRolloutRef {
  id: string;
  status: string;
  phase: string | null;
  phasePercent: number | null;
}

/**
 * Optimistic locking: the caller sends the version it read. The state row is locked before the
 * version is compared, and the UPDATE is conditional on the version too, so of N concurrent writers
 * with the same version exactly one succeeds; the rest get 409 with the state they must reconcile
 * with and who made it.
 *
 * A live (active or paused) rollout owns the flag's state in its environment: the plan's phase says
 * what the percentage is, and gates judge traffic at that percentage. A hand edit is therefore refused
 * (409 naming the rollout) unless the caller overrides with a reason. An override is applied in the
 * same transaction as its records: the audit entry with the reason, an entry in the rollout's
 * overrides, and an active rollout paused so neither a person nor the automatic-progression worker
 * advances it over the hand-set value before someone has looked. The kill switch does not come here.
 */
export async function updateFlagState(
  db: Db,
  principal: Principal | null,
  target: { flagKey: string; environment: string },
  input: UpdateFlagStateInput,
  options: { requireReason?: boolean } = {},
  now = new Date(),
): Promise<FlagStateDto> {
  // Overriding a rollout is also an admin's call; an ordinary edit is an engineer's.
  const user = requirePermission(principal, input.override ? "flag_state.override" : "flag_state.update");
  const reason = input.override?.reason ?? input.reason ?? null;
  if (options.requireReason && !reason) {
    throw new AppError("VALIDATION_FAILED", "Say why you change this environment", {
      fields: { reason: "say why (at least 3 characters)" },
    });
  }
  const actor = { id: user.userId, label: actorLabel(user) };
  return db.$transaction(
    async (tx) => {
      // The flag's state, then its live rollout: the order of every writer of them (lib/db/lock-order.ts),
      // so an override queues behind a kill or a transition instead of deadlocking with it, and no
      // rollout can start or end between the check below and the write.
      const locks = await lockFlagForChange(tx, target);
      const flag = locks.flag;
      const before = locks.state;
      const live = locks.live && locks.live.status !== "draft" ? locks.live : null;
      const conflict = async (current: FlagStateDto) =>
        new AppError(
          "VERSION_CONFLICT",
          `The flag was changed by someone else (you sent version ${input.version}, current is ${current.version}). Reload and try again.`,
          { current, lastChange: await lastChange(tx, target) },
        );
      if (before.version !== input.version) throw await conflict(toFlagStateDto(before));

      let rollout: LiveRolloutRef | null = null;
      if (live) {
        const phase = await tx.rolloutPhase.findUnique({ where: { rolloutId_index: { rolloutId: live.id, index: live.currentPhase } } });
        rollout = { id: live.id, status: live.status, phase: phase?.name ?? null, phasePercent: phase?.percent ?? null };
        if (!input.override) {
          throw new AppError(
            "CONFLICT",
            `${target.flagKey} in ${target.environment} is under a ${live.status} rollout${phase ? ` (phase ${phase.name}, ${phase.percent} %)` : ""}. ` +
              `Change it through the rollout at /rollouts/${live.id} (advance, pause or roll back), or override with a reason: ` +
              `the change is then applied, recorded on the rollout, and the rollout paused.`,
            { rollout, current: toFlagStateDto(before) },
          );
        }
      } else {
        // No rollout to override: an ordinary edit, which stays an engineer's.
        requirePermission(user, "flag_state.update");
      }

      const targeting = await resolveTargeting(tx, { flagId: flag.id, flagKey: flag.key, environment: target.environment }, input);
      const { count } = await tx.flagState.updateMany({
        where: { flagId: flag.id, environmentKey: target.environment, version: input.version },
        data: {
          enabled: input.enabled,
          rolloutPercent: input.rolloutPercent,
          allowlist: input.allowlist ? [...new Set(input.allowlist)] : undefined,
          targeting:
            targeting === undefined ? undefined : targeting === null ? Prisma.DbNull : (targeting as unknown as Prisma.InputJsonObject),
          version: { increment: 1 },
          updatedAt: now,
          updatedBy: user.userId,
        },
      });
      const after = await tx.flagState.findUniqueOrThrow({
        where: { flagId_environmentKey: { flagId: flag.id, environmentKey: target.environment } },
      });
      if (count === 0) throw await conflict(toFlagStateDto(after));

      const beforeDto = toFlagStateDto(before);
      const afterDto = toFlagStateDto(after);
      await recordAudit(tx, {
        actor,
        action: "flag_state.update",
        target: { type: "flag_state", id: `${target.flagKey}/${target.environment}` },
        before: beforeDto,
        after: live && rollout ? { ...afterDto, override: { rolloutId: rollout.id, rolloutStatus: rollout.status } } : afterDto,
        reason,
      });
      if (live && rollout && input.override) await recordOverride(tx, actor, target, live, beforeDto, afterDto, input.override.reason, now);
      return afterDto;
    },
    { timeout: 20_000, maxWait: 20_000 },
  );
}

/**
 * The targeting to store: undefined to leave it, null to remove it, else the document with each
 * strategy's bucketing group filled in (the flag's own) and its references checked in this
 * transaction (segments exist and stay; dependencies are real flags, one level deep).
 */
async function resolveTargeting(
  tx: Tx,
  target: { flagId: string; flagKey: string; environment: string },
  input: UpdateFlagStateInput,
): Promise<Targeting | null | undefined> {
  if (input.targeting === undefined || input.targeting === null) return input.targeting;
  const flag = await tx.flag.findUniqueOrThrow({ where: { id: target.flagId }, select: { bucketGroup: true } });
  const targeting = completeTargeting(input.targeting, flag.bucketGroup ?? target.flagKey);
  await checkTargeting(tx, target, targeting);
  return targeting;
}

/** The override on the rollout itself: its overrides list, the pause, the audit entry and the webhook. */
async function recordOverride(
  tx: Tx,
  actor: { id: string; label: string },
  target: { flagKey: string; environment: string },
  live: { id: string; status: string; version: number },
  before: FlagStateDto,
  after: FlagStateDto,
  reason: string,
  now: Date,
): Promise<void> {
  const row = await tx.rollout.findUniqueOrThrow({ where: { id: live.id }, select: { overrides: true } });
  const pick = (s: FlagStateDto) => ({ enabled: s.enabled, rolloutPercent: s.rolloutPercent, allowlist: s.allowlist });
  const pause = live.status === "active";
  const entry = {
    kind: "manual_change",
    at: now.toISOString(),
    by: actor.label,
    reason,
    before: pick(before),
    after: pick(after),
    paused: pause,
  };
  await tx.rollout.update({
    where: { id: live.id },
    data: {
      overrides: [...(row.overrides as object[]), entry],
      version: { increment: 1 },
      updatedAt: now,
      ...(pause ? { status: "paused" } : {}),
    },
  });
  await recordAudit(tx, {
    actor,
    action: pause ? "rollout.pause" : "rollout.manual_change",
    target: { type: "rollout", id: `${target.flagKey}/${target.environment}/${live.id}` },
    before: { status: live.status, version: live.version, flag: pick(before) },
    after: { status: pause ? "paused" : live.status, version: live.version + 1, flag: pick(after), cause: "manual change with override" },
    reason,
  });
  if (pause) await notifyTransition(tx, "pause", await loadRollout(tx, live.id, now), actor.label, `manual change: ${reason}`);
}

/** The newest audit entry that changed this state, directly or through a rollout of it. */
async function lastChange(tx: Tx, target: { flagKey: string; environment: string }): Promise<LastChange | null> {
  const id = `${target.flagKey}/${target.environment}`;
  const entry = await tx.auditLog.findFirst({
    where: {
      OR: [
        { targetType: "flag_state", targetId: id },
        { targetType: "rollout", targetId: { startsWith: `${id}/` }, action: { in: ["rollout.advance", "rollout.rollback"] } },
      ],
    },
    orderBy: { id: "desc" },
    select: { actor: true, action: true, at: true },
  });
  return entry ? { by: entry.actor, action: entry.action, at: entry.at.toISOString() } : null;
}
