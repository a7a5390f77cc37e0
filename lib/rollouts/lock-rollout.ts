import type { Tx } from "../db/client";
import { lockFlagForChange, lockRolloutRow, rolloutTarget, type FlagChangeLocks } from "../db/lock-order";
import { AppError, notFound } from "../errors";
import { loadRollout, type RolloutDto } from "./rollout-view";

interface LockOptions {
  /** The version the caller read; omitted by changes that are not optimistic (ticks, signatures). */
  version?: number;
  /** The change may write the flag's state: lock the flag first. */
  flagState?: boolean;
  /** The clock the rollout's gates are read at. */
  now?: Date;
}

export interface LockedRolloutView<F extends FlagChangeLocks | null = FlagChangeLocks | null> {
  /** The rollout as it is under the lock. */
  view: RolloutDto;
  /** With `flagState`: the flag's locks, taken before the rollout's (lib/db/lock-order.ts). */
  flag: F;
}

/**
 * The start of every transaction that changes a rollout: the locks, in the order of
 * lib/db/lock-order.ts, then the rollout read under them and, when the caller sent the version it
 * read, optimistic locking: 409 VERSION_CONFLICT with the current rollout (so the caller can
 * reconcile without another read) when someone changed it since.
 *
 * `flagState: true` when the change may write the flag's state (transitions): the flag row and its
 * state come first, then this rollout and any other live one of the environment. Without it only the
 * rollout row is locked (approvals, plan edits, checklist ticks), which must then write no flag state.
 */
export async function lockRollout(
  tx: Tx,
  id: string,
  options: LockOptions & { flagState: true },
): Promise<LockedRolloutView<FlagChangeLocks>>;
export async function lockRollout(tx: Tx, id: string, options?: LockOptions): Promise<LockedRolloutView>;
export async function lockRollout(tx: Tx, id: string, options: LockOptions = {}): Promise<LockedRolloutView> {
  let flag: FlagChangeLocks | null = null;
  if (options.flagState) {
    const target = await rolloutTarget(tx, id);
    if (!target) throw notFound(`Rollout '${id}'`);
    // A rollout of an archived flag has ended; the transition itself answers why it cannot move.
    flag = await lockFlagForChange(tx, target, { rolloutId: id, includeArchived: true });
  } else if (!(await lockRolloutRow(tx, id))) {
    throw notFound(`Rollout '${id}'`);
  }
  const view = await loadRollout(tx, id, options.now);
  if (options.version !== undefined && view.version !== options.version) {
    throw new AppError(
      "VERSION_CONFLICT",
      `The rollout was changed by someone else (you sent version ${options.version}, current is ${view.version}). Reload and try again.`,
      { current: view },
    );
  }
  return { view, flag };
}
