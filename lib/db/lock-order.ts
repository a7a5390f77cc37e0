import type { Tx } from "./client";
import type { FlagState } from "./generated/client";
import { notFound } from "../errors";

/**
 * THE LOCK ORDER of every transaction that changes a flag's state or its rollouts: the kill switch
 * and restore, hand edits (with or without an override), rollout transitions (advance, pause, resume,
 * roll back, whether a person, the auto-advance worker or a guardrail asks), and the Unleash import.
 *
 *   1. flags row           FOR KEY SHARE  (archiving takes FOR UPDATE here)
 *   2. flag_states rows    FOR UPDATE     several: by flag id, then environment key
 *   3. rollouts rows       FOR UPDATE     the environment's live rollouts and the one acted on, by id
 *  3b. segments rows       FOR KEY SHARE  those a new targeting names, by id (lib/targeting/check-targeting.ts);
 *                                         a segment's edit locks its row FOR NO KEY UPDATE (no conflict with KEY SHARE)
 *                                         and then the rollouts whose phases to come serve it (level 3, by id, before its
 *                                         update bumps level 4: lib/rollouts/replan-for-segment.ts); its delete takes FOR
 *                                         UPDATE and waits for nothing after; a rollout transition takes KEY SHARE on the
 *                                         segments the phase serves (lib/segments/lock-segments.ts). Nobody holding a
 *                                         rollout waits for a segment lock that conflicts with the edit's.
 *  3c. dependency lock     advisory, per environment in key order: only writers that give flags dependencies
 *                                         (lib/targeting/check-targeting.ts `lockDependencyGraph`, the import)
 *  3d. open incident       FOR UPDATE     the flag's open incident in the environment, which a kill joins or a restore
 *                                         writes to (lib/incidents/kill-switch.ts); acknowledging or resolving takes it alone
 *   4. environments row    implicit: the flag_states trigger bumps its config_version for every statement writing states
 *   5. audit chain lock    implicit: every audit_log insert takes one global advisory lock (7346010001)
 *   6. webhooks rows       FOR KEY SHARE  implicit: a queued delivery's foreign key; writers that notify queue their
 *                                         deliveries after their audit entry. So a webhook's toggle locks its row FOR
 *                                         NO KEY UPDATE (no conflict with KEY SHARE) and its delete takes 5 before
 *                                         deleting the row (lib/notifications/delete-webhook.ts).
 *
 * Why: two transactions that take the same locks in opposite orders can each wait for the other, and
 * PostgreSQL breaks the tie only after deadlock_timeout (1 s) by aborting one. Issue 22 was exactly
 * that: the kill took 2 then 3, a hand edit overriding the rollout took 3 then 2; the edit got a 500
 * and the kill waited a second. When every transaction waits only for locks further down this list
 * than any lock it holds, no cycle of waits can form, so writers of one flag queue behind each other
 * for the few milliseconds each needs.
 *
 * One writer starts above level 3: a segment's edit holds its segment row (FOR NO KEY UPDATE) while it
 * takes the rollouts whose phases to come serve it; that is safe because nobody waits for that lock
 * while holding a rollout (they take KEY SHARE, which does not conflict, and the Unleash import's FOR
 * SHARE is taken holding only flags and flag states).
 *
 * So a writer takes levels 1–3 with the helpers below before anything else, and in particular before
 * its first write of a flag state (which takes 4) and its first audit entry (which takes 5). Rows a
 * transaction inserts itself do not count: nobody else sees them. Foreign keys take FOR KEY SHARE on
 * the rows they point at (an incident on its flag and rollout, an approval on its rollout); by then
 * the writer already holds those. A change of a rollout alone (signing an approval, editing the plan,
 * ticking the checklist) needs no flag lock: it takes 3, then 5, which keeps the order too.
 *
 * Adding an environment takes `LOCK TABLE flags IN SHARE MODE` before anything else and holds no
 * other lock while it waits: flag inserts and updates wait for it, row locks (levels 1–3) do not.
 *
 * Level 1 is there for archiving, which locks the flag row and then every environment's row (its
 * trigger): without it, a kill holding an environment's row would wait on the flag row for its
 * incident's foreign key while the archive waits for that environment. It also makes "not archived"
 * hold until the writer commits.
 */

export type LiveRolloutStatus = "draft" | "active" | "paused";

/** A locked rollout row: what a writer needs to decide, read under the lock. */
export interface LockedRollout {
  id: string;
  status: string;
  version: number;
  currentPhase: number;
}

export interface FlagChangeLocks {
  flag: { id: string; key: string; archivedAt: Date | null };
  environment: string;
  /** The flag's state in the environment, read under its lock. */
  state: FlagState;
  /** Every locked rollout: the live one (if any) and the one asked for, by id. */
  rollouts: LockedRollout[];
  /** The environment's live rollout (draft, active or paused; at most one, by a unique index), locked. */
  live: LockedRollout | null;
}

const LIVE: readonly string[] = ["draft", "active", "paused"] satisfies LiveRolloutStatus[];

/**
 * Levels 1–3 for a change of one flag's state in one environment: the flag row, its state row, then
 * the environment's live rollout and `rolloutId` (a transition's own rollout, live or not). Not found
 * (404): the flag (or, unless `includeArchived`, an archived one) or the environment.
 */
export async function lockFlagForChange(
  tx: Tx,
  target: ({ flagKey: string } | { flagId: string }) & { environment: string },
  options: { rolloutId?: string; includeArchived?: boolean } = {},
): Promise<FlagChangeLocks> {
  const byKey = "flagKey" in target;
  const flags = byKey
    ? await tx.$queryRaw<{ id: string; key: string; archived_at: Date | null }[]>`
        SELECT id, key, archived_at FROM flags WHERE key = ${target.flagKey} FOR KEY SHARE`
    : await tx.$queryRaw<{ id: string; key: string; archived_at: Date | null }[]>`
        SELECT id, key, archived_at FROM flags WHERE id = ${target.flagId}::uuid FOR KEY SHARE`;
  const row = flags[0];
  if (!row || (row.archived_at && !options.includeArchived)) throw notFound(`Flag '${byKey ? target.flagKey : target.flagId}'`);
  const flag = { id: row.id, key: row.key, archivedAt: row.archived_at };

  const states = await tx.$queryRaw<{ flag_id: string }[]>`
    SELECT flag_id FROM flag_states WHERE flag_id = ${flag.id}::uuid AND environment_key = ${target.environment} FOR UPDATE`;
  if (!states[0]) throw notFound(`Environment '${target.environment}'`);
  const state = await tx.flagState.findUniqueOrThrow({
    where: { flagId_environmentKey: { flagId: flag.id, environmentKey: target.environment } },
  });

  // ORDER BY under FOR UPDATE: PostgreSQL locks the rows in the order it returns them.
  const rows = await tx.$queryRaw<{ id: string; status: string; version: number; current_phase: number }[]>`
    SELECT id, status, version, current_phase FROM rollouts
    WHERE (flag_id = ${flag.id}::uuid AND environment_key = ${target.environment} AND status IN ('draft', 'active', 'paused'))
       OR id = ${options.rolloutId ?? null}::uuid
    ORDER BY id FOR UPDATE`;
  const rollouts = rows.map((r) => ({ id: r.id, status: r.status, version: r.version, currentPhase: r.current_phase }));
  return { flag, environment: target.environment, state, rollouts, live: rollouts.find((r) => LIVE.includes(r.status)) ?? null };
}

/** Where a rollout is (immutable columns, so an unlocked read is enough to find which flag to lock). */
export async function rolloutTarget(tx: Tx, rolloutId: string): Promise<{ flagId: string; environment: string } | null> {
  const rows = await tx.$queryRaw<{ flag_id: string; environment_key: string }[]>`
    SELECT flag_id, environment_key FROM rollouts WHERE id = ${rolloutId}::uuid`;
  return rows[0] ? { flagId: rows[0].flag_id, environment: rows[0].environment_key } : null;
}

/** Level 3 alone, for a change of the rollout that writes no flag state. False when there is no such rollout. */
export async function lockRolloutRow(tx: Tx, rolloutId: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM rollouts WHERE id = ${rolloutId}::uuid FOR UPDATE`;
  return rows.length > 0;
}

/**
 * Levels 1–2 for many flags at once (the Unleash import): their flag rows, then every state row of
 * them in every environment, each set in one statement in a fixed order, so two such writers (or one
 * and a single-flag writer) meet in the same order. Keys with no flag are skipped.
 */
export async function lockFlagsForChange(tx: Tx, flagKeys: readonly string[]): Promise<void> {
  if (flagKeys.length === 0) return;
  const flags = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM flags WHERE key = ANY(${[...flagKeys]}::text[]) ORDER BY id FOR KEY SHARE`;
  if (flags.length === 0) return;
  await tx.$queryRaw`
    SELECT 1 FROM flag_states WHERE flag_id = ANY(${flags.map((f) => f.id)}::uuid[])
    ORDER BY flag_id, environment_key FOR UPDATE`;
}
