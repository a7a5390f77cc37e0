import type { Db, Tx } from "../db/client";
import { AppError, validationFailed } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import type { Role } from "../auth/roles";
import { allGreen, transition, type Gate, type RolloutAction } from "../domain/rollout";
import { describeExposure, widensExposure, type FlagExposure } from "../domain/flag-exposure";
import type { TransitionInput } from "./rollout-schemas";
import { lockRollout } from "./lock-rollout";
import { loadRollout, type RolloutDto } from "./rollout-view";
import { notifyTransition } from "./rollout-notifications";
import { can, requirePermission } from "../auth/permissions";
import { lockSegments } from "../segments/lock-segments";

export type TransitionAction = Exclude<RolloutAction, "edit">;

/** Who acts: a person (with roles) or an automatic worker (id null). */
export interface RolloutActor {
  id: string | null;
  label: string;
  roles: readonly Role[];
}

type FlagStateSnapshot = FlagExposure;

/** Every red gate is one the admin chose to override: one that turned red since is not overridden unseen. */
function assertOverrideSeen(gates: readonly Gate[], seen: readonly string[]): void {
  const unseen = gates.filter((g) => !g.ok && !seen.includes(g.name));
  if (unseen.length === 0) return;
  const reasons = unseen.map((g) => g.reason).join("; ");
  throw new AppError("UNPROCESSABLE", `Cannot advance: gates turned red since you chose to override: ${reasons}`, {
    fields: { override: `read the gates that turned red and decide again: ${reasons}` },
    gates: [...gates],
  });
}

/**
 * Every live conditional approval of the next phase is among those whose conditions the person read:
 * one signed (or replaced) since they opened the advance would otherwise be acknowledged unread.
 */
function assertConditionsRead(view: RolloutDto, read: readonly string[]): void {
  const unread = view.approvals.filter(
    (a) => a.phaseIndex === view.currentPhase + 1 && a.state === "live" && a.decision === "conditional" && !read.includes(a.id),
  );
  if (unread.length === 0) return;
  const quoted = unread.map((a) => `“${a.conditions}” (${a.signer.name})`).join("; ");
  throw new AppError("UNPROCESSABLE", `Cannot advance: conditions were added since you read them: ${quoted}`, {
    fields: { acknowledgeConditions: `read the new conditions and acknowledge them again: ${quoted}` },
    gates: view.gates,
  });
}

/** A guardrail's roll back that would serve more subjects than now: its breach is answered by a kill instead. */
export const AUTOMATIC_WIDENING = "AUTOMATIC_ROLLBACK_WIDENS";

/**
 * Refuses a person's roll back that would widen exposure unless they may widen it and said so, and
 * an automatic one always: a guardrail rolls back because the change hurts, and restoring a state
 * that served more (a rollout that started from 100 %) would answer a breach by widening it. The
 * guardrail worker kills the flag instead (lib/guardrails/guardrail-worker.ts `actOnBreach`).
 */
function checkWidening(actor: RolloutActor, before: FlagExposure, after: FlagExposure, confirmed: boolean): void {
  if (!widensExposure(before, after)) return;
  const change = `from ${describeExposure(before)} to ${describeExposure(after)}`;
  const widening = { before, after };
  if (actor.id === null) {
    throw new AppError("CONFLICT", `Rolling back would widen exposure ${change}`, { widening, reason: AUTOMATIC_WIDENING });
  }
  if (!can(actor, "rollout.rollback.widen")) {
    throw new AppError(
      "FORBIDDEN",
      `Rolling back would widen exposure ${change}; on-call may only narrow it: use Kill to turn the flag off`,
      {
        fields: { confirmWiden: `rolling back widens exposure ${change}, which needs an engineer or admin; use Kill to turn the flag off` },
        widening,
      },
    );
  }
  if (!confirmed) {
    throw new AppError("CONFLICT", `Rolling back would widen exposure ${change}; send confirmWiden: true to roll back anyway`, {
      fields: { confirmWiden: `required: rolling back widens exposure ${change}` },
      widening,
    });
  }
}

/**
 * The segments a transition is about to serve, read FOR KEY SHARE so none is deleted before the
 * commit; a segment deleted since the plan named it is a 422 on `field`, not a foreign-key 500.
 */
async function assertSegmentsExist(tx: Tx, ids: readonly number[], field: string): Promise<void> {
  const found = await lockSegments(tx, ids);
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length)
    throw new AppError("UNPROCESSABLE", `Segment ${missing.join(", ")} no longer exists; edit the plan`, {
      fields: { [field]: `no segment with id ${missing.join(", ")}` },
    });
}

/** advance / pause / resume / roll back on behalf of a signed-in user or token. */
export async function transitionRollout(
  db: Db,
  principal: Principal | null,
  id: string,
  action: TransitionAction,
  input: TransitionInput,
  now = new Date(),
): Promise<RolloutDto> {
  // Advancing past red gates is an admin's call, whatever else they may do.
  const user = requirePermission(principal, input.override && action === "advance" ? "rollout.advance.override" : `rollout.${action}`);
  return applyTransition(db, { id: user.userId, label: actorLabel(user), roles: user.roles }, id, action, input, now);
}

/**
 * One transaction: lock the flag's state and the rollout, check the version the caller read, check
 * the transition and (for advance) the gates, then change the flag state, the rollout and the audit
 * log together.
 * The flag-state trigger bumps the environment's config version and NOTIFYs in the same commit, so
 * SDKs see the new percentage as soon as the rollout says it.
 */
export async function applyTransition(
  db: Db,
  actor: RolloutActor,
  id: string,
  action: TransitionAction,
  input: TransitionInput,
  now = new Date(),
  /** More writes that belong to this transition, in its transaction (a guardrail's evidence record). */
  within?: (tx: Tx) => Promise<void>,
): Promise<RolloutDto> {
  if (action === "rollback" && (input.reason?.length ?? 0) < 3)
    throw validationFailed({ reason: "say why you roll back (at least 3 characters)" });
  if (input.override && (input.reason?.length ?? 0) < 3) throw validationFailed({ reason: "an override needs a written reason" });
  return db.$transaction(
    async (tx) => {
      // The flag's state first, then the rollout (lib/db/lock-order.ts): the kill switch and hand
      // edits lock in the same order, so they queue behind a transition instead of deadlocking with it.
      const { view, flag } = await lockRollout(tx, id, { version: input.version, flagState: true, now });
      const next = transition(view.status, view.currentPhase, view.phases.length, action);
      if (!next.ok) throw new AppError("CONFLICT", `Cannot ${action}: ${next.reason}`, { current: view });

      let overrides = view.overrides;
      if (action === "advance" && !allGreen(view.gates)) {
        if (!input.override) {
          const red = view.gates.filter((g) => !g.ok).map((g) => g.reason);
          throw new AppError("UNPROCESSABLE", `Cannot advance: ${red.join("; ")}`, { gates: view.gates });
        }
        if (input.overrideGates) assertOverrideSeen(view.gates, input.overrideGates);
        overrides = [...overrides, { kind: "advance", at: now.toISOString(), by: actor.label, reason: input.reason!, gates: view.gates }];
      }
      // A conditional approval's conditions are read by whoever advances, and acknowledged.
      const conditions = view.gates.find((g) => g.name === "conditions");
      if (action === "advance" && conditions && !input.acknowledgeConditions) {
        throw new AppError("UNPROCESSABLE", `Cannot advance: ${conditions.reason}`, {
          fields: { acknowledgeConditions: "acknowledge the approval's conditions to advance" },
          gates: view.gates,
        });
      }
      if (action === "advance" && conditions && input.acknowledgedApprovals) assertConditionsRead(view, input.acknowledgedApprovals);

      const state = flag.state;
      const flagBefore: FlagStateSnapshot = {
        enabled: state.enabled,
        rolloutPercent: state.rolloutPercent,
        allowlist: state.allowlist,
        rolloutSegments: state.rolloutSegments,
      };
      let flagAfter: FlagStateSnapshot | null = null;
      if (action === "advance" && next.status === "active") {
        const phase = view.phases[next.phase]!;
        // At 100 % everyone is served: the phase's segments would add no one, and keeping them would
        // keep the segments in use (undeletable) for as long as the flag lives.
        flagAfter = {
          enabled: true,
          rolloutPercent: phase.percent,
          allowlist: phase.allowlist,
          rolloutSegments: phase.percent >= 100 ? [] : phase.segments,
        };
      } else if (action === "rollback") {
        const restore = view.rollbackTo; // a draft never changed the flag: nothing to restore
        if (restore) flagAfter = { ...restore, rolloutSegments: restore.rolloutSegments ?? [] };
        if (flagAfter) checkWidening(actor, flagBefore, flagAfter, input.confirmWiden === true);
      }
      if (flagAfter) {
        await assertSegmentsExist(tx, flagAfter.rolloutSegments ?? [], action === "advance" ? `phases.${next.phase}.segments` : "segments");
        await tx.$executeRaw`
          UPDATE flag_states SET enabled = ${flagAfter.enabled}, rollout_percent = ${flagAfter.rolloutPercent},
                 allowlist = ${flagAfter.allowlist}::text[], rollout_segments = ${flagAfter.rolloutSegments ?? []}::int[],
                 version = version + 1, updated_at = ${now}, updated_by = ${actor.id}::uuid
          WHERE flag_id = ${state.flagId}::uuid AND environment_key = ${state.environmentKey}`;
      }
      if (action === "advance" && next.status === "active") {
        await tx.rolloutPhase.update({ where: { rolloutId_index: { rolloutId: id, index: next.phase } }, data: { startedAt: now } });
      }
      const ended = next.status === "completed" || next.status === "rolled_back";
      await tx.rollout.update({
        where: { id },
        data: {
          status: next.status,
          currentPhase: next.phase,
          version: { increment: 1 },
          updatedAt: now,
          ...(action === "advance" && next.status === "active" ? { phaseStartedAt: now } : {}),
          ...(view.status === "draft" && action === "advance" ? { stateBefore: flagBefore as object } : {}),
          ...(ended ? { endedAt: now, endedReason: input.reason ?? null } : {}),
          overrides: overrides as object[],
        },
      });
      const after = await loadRollout(tx, id, now);
      await recordAudit(tx, {
        actor: { id: actor.id, label: actor.label },
        action: `rollout.${action === "advance" && next.status === "completed" ? "complete" : action}`,
        target: { type: "rollout", id: `${view.flagKey}/${view.environment}/${id}` },
        before: { status: view.status, currentPhase: view.currentPhase, version: view.version, flag: flagBefore },
        after: {
          status: after.status,
          currentPhase: after.currentPhase,
          version: after.version,
          flag: flagAfter ?? flagBefore,
          ...(action === "advance" ? { gates: view.gates satisfies Gate[] } : {}),
          ...(overrides.length > view.overrides.length ? { override: true } : {}),
          ...(action === "rollback" && flagAfter && widensExposure(flagBefore, flagAfter) ? { widened: true } : {}),
        },
        reason: input.reason ?? null,
      });
      await notifyTransition(tx, action, after, actor.label, input.reason);
      await within?.(tx);
      return after;
    },
    { timeout: 20_000, maxWait: 20_000 },
  );
}
