import type { Db, Tx } from "../db/client";
import { notFound } from "../errors";
import { lockFlagForChange } from "../db/lock-order";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import { toFlagStateDto, type FlagStateDto } from "../flags/flag-dto";
import { FLAG_KEY_PATTERN } from "../flags/flag-schemas";
import { enqueueNotification } from "../notifications";
import { loadRollout } from "../rollouts/rollout-view";
import type { KillInput, Severity } from "./incident-schemas";
import { requirePermission } from "../auth/permissions";

export interface KillResult extends FlagStateDto {
  /** The open incident this kill opened or joined. */
  incidentId: string;
}

/**
 * The flag's state and its live rollout, locked in the order every writer of them uses
 * (lib/db/lock-order.ts): the kill must only ever queue behind another writer, never deadlock with it.
 */
async function lockState(tx: Tx, flagKey: string, environment: string) {
  if (!FLAG_KEY_PATTERN.test(flagKey)) throw notFound(`Flag '${flagKey}'`);
  const locks = await lockFlagForChange(tx, { flagKey, environment });
  return { flagId: locks.flag.id, state: locks.state, live: locks.live };
}

/**
 * The kill switch: the flag serves `off` everywhere in this environment within the config
 * propagation time, whatever its percentage or allowlist. Break-glass: it needs no approval and no
 * green gate; a live rollout is paused (not rolled back), and that it happened mid-rollout or with
 * approvals pending is recorded. Opens an incident, or joins the one already open. Idempotent: killing
 * a killed flag changes nothing and answers the same incident.
 */
export async function killFlag(
  db: Db,
  principal: Principal | null,
  target: { flagKey: string; environment: string },
  input: KillInput,
  now = new Date(),
): Promise<KillResult> {
  const user = requirePermission(principal, "flag.kill");
  return killFlagAs(db, { id: user.userId, label: actorLabel(user) }, target, input, now);
}

/** The kill itself, for a person (above) or a guardrail acting on its own (actor id null). */
export async function killFlagAs(
  db: Db,
  actor: { id: string | null; label: string },
  target: { flagKey: string; environment: string },
  input: KillInput & { snapshot?: unknown },
  now = new Date(),
  /** More writes that belong to this kill, in its transaction (a guardrail's evidence record), given its incident. */
  within?: (tx: Tx, incidentId: string) => Promise<void>,
): Promise<KillResult> {
  return db.$transaction(
    async (tx) => {
      const { flagId, state, live } = await lockState(tx, target.flagKey, target.environment);
      const open = await lockOpenIncident(tx, flagId, target.environment);
      if (state.killed && open) {
        await within?.(tx, open.id);
        return { ...toFlagStateDto(state), incidentId: open.id };
      }

      let after = state;
      if (!state.killed) {
        after = await tx.flagState.update({
          where: { flagId_environmentKey: { flagId, environmentKey: target.environment } },
          data: { killed: true, version: { increment: 1 }, updatedAt: now, updatedBy: actor.id },
        });
      }
      // Break-glass on a live rollout (locked above): pause it so nothing (person or worker) advances past the kill.
      let breakGlass: Record<string, unknown> | null = null;
      if (live) {
        const view = await loadRollout(tx, live.id, now);
        const next = view.phases[view.currentPhase + 1];
        const pending = next
          ? Math.max(0, next.requiredApprovals - view.approvals.filter((a) => a.phaseIndex === next.index && a.state === "live").length)
          : 0;
        breakGlass = {
          rolloutId: live.id,
          status: live.status,
          phase: view.phases[view.currentPhase]?.name ?? "not started",
          pendingApprovals: pending,
        };
        if (live.status === "active") {
          await tx.rollout.update({ where: { id: live.id }, data: { status: "paused", version: { increment: 1 }, updatedAt: now } });
          await recordAudit(tx, {
            actor,
            action: "rollout.pause",
            target: { type: "rollout", id: `${target.flagKey}/${target.environment}/${live.id}` },
            before: { status: "active", version: live.version },
            after: { status: "paused", version: live.version + 1, cause: "kill switch" },
            reason: input.reason,
          });
        }
      }
      const metrics = live ? (await loadRollout(tx, live.id, now)).metrics : null;
      const incident =
        open ??
        (await tx.incident.create({
          data: {
            flagId,
            environmentKey: target.environment,
            title: `${target.flagKey} killed in ${target.environment}`,
            severity: defaultSeverity(target.environment),
            openedBy: actor.id,
            openedByLabel: actor.label,
            reason: input.reason,
            rolloutId: live?.id ?? null,
            metricsSnapshot: {
              at: now.toISOString(),
              rollout: metrics,
              state: toFlagStateDto(state),
              ...(input.snapshot ? { guardrail: input.snapshot } : {}),
            } as object,
            openedAt: now,
          },
        }));
      await tx.incidentEvent.create({
        data: {
          incidentId: incident.id,
          actorId: actor.id,
          actor: actor.label,
          kind: "killed",
          message: `${target.flagKey} killed in ${target.environment}: ${input.reason}${breakGlass ? ` (break-glass: rollout ${breakGlass.status} in ${String(breakGlass.phase)}, ${String(breakGlass.pendingApprovals)} approval(s) pending)` : ""}`,
          at: now,
        },
      });
      await recordAudit(tx, {
        actor,
        action: "flag_state.kill",
        target: { type: "flag_state", id: `${target.flagKey}/${target.environment}` },
        before: toFlagStateDto(state),
        after: { ...toFlagStateDto(after), incident: incident.id, ...(breakGlass ? { breakGlass } : {}) },
        reason: input.reason,
      });
      await enqueueNotification(tx, {
        environment: target.environment,
        kind: "flag.killed",
        text: `:rotating_light: ${target.flagKey} KILLED in ${target.environment} by ${actor.label}: ${input.reason}`,
        flagKey: target.flagKey,
        fields: { Flag: target.flagKey, Environment: target.environment, By: actor.label, Reason: input.reason, Incident: incident.id },
        data: { incidentId: incident.id, version: after.version },
      });
      await within?.(tx, incident.id);
      return { ...toFlagStateDto(after), incidentId: incident.id };
    },
    { timeout: 20_000, maxWait: 20_000 },
  );
}

/**
 * Lifts the kill. The flag goes back to its percentage and allowlist; a paused rollout stays paused
 * (resuming is a separate, deliberate step) and the incident stays open until someone resolves it.
 */
export async function restoreFlag(
  db: Db,
  principal: Principal | null,
  target: { flagKey: string; environment: string },
  input: KillInput,
  now = new Date(),
): Promise<FlagStateDto> {
  const user = requirePermission(principal, "flag.restore");
  const actor = { id: user.userId, label: actorLabel(user) };
  return db.$transaction(
    async (tx) => {
      const { flagId, state } = await lockState(tx, target.flagKey, target.environment);
      if (!state.killed) return toFlagStateDto(state);
      const after = await tx.flagState.update({
        where: { flagId_environmentKey: { flagId, environmentKey: target.environment } },
        data: { killed: false, version: { increment: 1 }, updatedAt: now, updatedBy: user.userId },
      });
      const open = await lockOpenIncident(tx, flagId, target.environment);
      if (open) {
        await tx.incidentEvent.create({
          data: {
            incidentId: open.id,
            actorId: user.userId,
            actor: actor.label,
            kind: "restored",
            message: `Restored: ${input.reason}`,
            at: now,
          },
        });
      }
      await recordAudit(tx, {
        actor,
        action: "flag_state.restore",
        target: { type: "flag_state", id: `${target.flagKey}/${target.environment}` },
        before: toFlagStateDto(state),
        after: toFlagStateDto(after),
        reason: input.reason,
      });
      await enqueueNotification(tx, {
        environment: target.environment,
        kind: "flag.restored",
        text: `${target.flagKey} restored in ${target.environment} by ${actor.label}: ${input.reason}`,
        flagKey: target.flagKey,
        fields: { Flag: target.flagKey, Environment: target.environment, By: actor.label, Reason: input.reason },
        data: { version: after.version, ...(open ? { incidentId: open.id } : {}) },
      });
      return toFlagStateDto(after);
    },
    { timeout: 20_000, maxWait: 20_000 },
  );
}

/** A kill in production starts as sev1, anywhere else as sev2; whoever triages changes it. */
export function defaultSeverity(environment: string): Severity {
  return /^prod/i.test(environment) ? "sev1" : "sev2";
}

/**
 * The open incident of a flag in an environment, locked: a resolve committing meanwhile is waited for
 * and then seen (the row no longer matches), so a kill never joins, nor a restore writes to, an
 * incident that was just resolved. After lib/db/lock-order.ts levels 1–3, before the audit entry.
 */
async function lockOpenIncident(tx: Tx, flagId: string, environment: string) {
  const [row] = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM incidents WHERE flag_id = ${flagId}::uuid AND environment_key = ${environment} AND status <> 'resolved'
    ORDER BY opened_at DESC LIMIT 1 FOR UPDATE`;
  return row ? tx.incident.findUnique({ where: { id: row.id } }) : null;
}
