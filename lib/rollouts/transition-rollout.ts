import type { Db, Tx } from "../db/client";
import { AppError, validationFailed } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, requireRole, type Principal } from "../auth/principal";
import type { Role } from "../auth/roles";
import { allGreen, transition, type Gate, type RolloutAction } from "../domain/rollout";
import type { TransitionInput } from "./rollout-schemas";
import { loadRollout, type RolloutDto } from "./rollout-view";
import { notifyTransition } from "./rollout-notifications";

export type TransitionAction = Exclude<RolloutAction, "edit">;

/** Who acts: a person (with roles) or the automatic-progression worker. */
export interface RolloutActor {
  id: string | null;
  label: string;
  roles: readonly Role[];
}

const ROLES_FOR: Record<TransitionAction, Role[]> = {
  advance: ["engineer"],
  pause: ["engineer"],
  resume: ["engineer"],
  rollback: ["engineer", "oncall"],
};

interface FlagStateSnapshot {
  enabled: boolean;
  rolloutPercent: number;
  allowlist: string[];
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
  const user = input.override && action === "advance" ? requireRole(principal, "admin") : requireRole(principal, ...ROLES_FOR[action]);
  return applyTransition(db, { id: user.userId, label: actorLabel(user), roles: user.roles }, id, action, input, now);
}

/**
 * One transaction: lock the rollout row, check the version the caller read, check the transition
 * and (for advance) the gates, then change the flag state, the rollout and the audit log together.
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
): Promise<RolloutDto> {
  if (action === "rollback" && (input.reason?.length ?? 0) < 3)
    throw validationFailed({ reason: "say why you roll back (at least 3 characters)" });
  if (input.override && (input.reason?.length ?? 0) < 3) throw validationFailed({ reason: "an override needs a written reason" });
  return db.$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM rollouts WHERE id = ${id}::uuid FOR UPDATE`;
      const view = await loadRollout(tx, id, now);
      if (view.version !== input.version) {
        throw new AppError(
          "VERSION_CONFLICT",
          `The rollout was changed by someone else (you sent version ${input.version}, current is ${view.version}). Reload and try again.`,
          { current: view },
        );
      }
      const next = transition(view.status, view.currentPhase, view.phases.length, action);
      if (!next.ok) throw new AppError("CONFLICT", `Cannot ${action}: ${next.reason}`, { current: view });

      let overrides = view.overrides;
      if (action === "advance" && !allGreen(view.gates)) {
        if (!input.override) {
          const red = view.gates.filter((g) => !g.ok).map((g) => g.reason);
          throw new AppError("UNPROCESSABLE", `Cannot advance: ${red.join("; ")}`, { gates: view.gates });
        }
        overrides = [...overrides, { kind: "advance", at: now.toISOString(), by: actor.label, reason: input.reason!, gates: view.gates }];
      }

      const flagBefore = await flagState(tx, id);
      let flagAfter: FlagStateSnapshot | null = null;
      if (action === "advance" && next.status === "active") {
        const phase = view.phases[next.phase]!;
        flagAfter = { enabled: true, rolloutPercent: phase.percent, allowlist: phase.allowlist };
      } else if (action === "rollback") {
        const saved = (await tx.rollout.findUniqueOrThrow({ where: { id }, select: { stateBefore: true } }))
          .stateBefore as FlagStateSnapshot | null;
        flagAfter = saved; // a draft never changed the flag: nothing to restore
      }
      if (flagAfter) {
        await tx.$executeRaw`
          UPDATE flag_states fs SET enabled = ${flagAfter.enabled}, rollout_percent = ${flagAfter.rolloutPercent},
                 allowlist = ${flagAfter.allowlist}::text[], version = fs.version + 1, updated_at = ${now}, updated_by = ${actor.id}::uuid
          FROM rollouts r WHERE r.id = ${id}::uuid AND fs.flag_id = r.flag_id AND fs.environment_key = r.environment_key`;
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
        },
        reason: input.reason ?? null,
      });
      await notifyTransition(tx, action, after, actor.label, input.reason);
      return after;
    },
    { timeout: 20_000, maxWait: 20_000 },
  );
}

async function flagState(tx: Tx, rolloutId: string): Promise<FlagStateSnapshot> {
  const rows = await tx.$queryRaw<{ enabled: boolean; rollout_percent: number; allowlist: string[] }[]>`
    SELECT fs.enabled, fs.rollout_percent, fs.allowlist FROM flag_states fs
    JOIN rollouts r ON fs.flag_id = r.flag_id AND fs.environment_key = r.environment_key
    WHERE r.id = ${rolloutId}::uuid`;
  const row = rows[0]!;
  return { enabled: row.enabled, rolloutPercent: row.rollout_percent, allowlist: row.allowlist };
}
