import type { Db, Tx } from "../db/client";
import { FLAG_KEY_PATTERN } from "./flag-schemas";
import { AppError, notFound } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal, type UserPrincipal } from "../auth/principal";
import type { ArchiveFlagInput } from "./flag-schemas";
import { requirePermission } from "../auth/permissions";

/**
 * Retires a flag: it disappears from lists and from evaluation (SDKs get FLAG_NOT_FOUND and fall back
 * to their default), while its history stays in the audit log. The key is not reused, so old events
 * and audit entries keep pointing at one flag. Refused while a rollout of it is still in progress.
 */
export async function archiveFlag(db: Db, principal: Principal | null, key: string, input: ArchiveFlagInput): Promise<void> {
  const user = requirePermission(principal, "flag.archive");
  if (!FLAG_KEY_PATTERN.test(key)) throw notFound("Flag");
  await db.$transaction(async (tx) => {
    // Lock the flag row so a rollout cannot be created between the check and the archive.
    const rows = await tx.$queryRaw<
      { id: string; archived_at: Date | null }[]
    >`SELECT id, archived_at FROM flags WHERE key = ${key} FOR UPDATE`;
    const flag = rows[0];
    if (!flag || flag.archived_at) throw notFound(`Flag '${key}'`);
    if ((await flagsInProgress(tx, [flag.id])).size > 0) {
      throw new AppError("CONFLICT", `Flag '${key}' has a rollout in progress; complete or roll it back first`);
    }
    await archiveLockedFlag(tx, user, { id: flag.id, key }, input.reason);
  });
}

/** Which of these flags have a rollout in progress (draft, active or paused): those are not archived. */
export async function flagsInProgress(tx: Tx, flagIds: string[]): Promise<Set<string>> {
  const rows = await tx.rollout.findMany({
    where: { flagId: { in: flagIds }, status: { in: ["draft", "active", "paused"] } },
    select: { flagId: true },
  });
  return new Set(rows.map((r) => r.flagId));
}

/** Archives a flag whose row the caller holds FOR UPDATE and checked, with its audit entry. */
export async function archiveLockedFlag(tx: Tx, user: UserPrincipal, flag: { id: string; key: string }, reason: string): Promise<void> {
  const states = await tx.flagState.findMany({ where: { flagId: flag.id }, orderBy: { environmentKey: "asc" } });
  await tx.flag.update({ where: { id: flag.id }, data: { archivedAt: new Date() } });
  await recordAudit(tx, {
    actor: { id: user.userId, label: actorLabel(user) },
    action: "flag.archive",
    target: { type: "flag", id: flag.key },
    before: Object.fromEntries(
      states.map((s) => [s.environmentKey, { enabled: s.enabled, rolloutPercent: s.rolloutPercent, killed: s.killed }]),
    ),
    reason,
  });
}
