import type { Db } from "../db/client";
import { FLAG_KEY_PATTERN } from "./flag-schemas";
import { AppError, notFound } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
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
    const live = await tx.rollout.count({ where: { flagId: flag.id, status: { in: ["draft", "active", "paused"] } } });
    if (live > 0) {
      throw new AppError("CONFLICT", `Flag '${key}' has a rollout in progress; complete or roll it back first`);
    }
    const states = await tx.flagState.findMany({ where: { flagId: flag.id }, orderBy: { environmentKey: "asc" } });
    await tx.flag.update({ where: { id: flag.id }, data: { archivedAt: new Date() } });
    await recordAudit(tx, {
      actor: { id: user.userId, label: actorLabel(user) },
      action: "flag.archive",
      target: { type: "flag", id: key },
      before: Object.fromEntries(
        states.map((s) => [s.environmentKey, { enabled: s.enabled, rolloutPercent: s.rolloutPercent, killed: s.killed }]),
      ),
      reason: input.reason,
    });
  });
}
