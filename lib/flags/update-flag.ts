import type { Db } from "../db/client";
import { FLAG_KEY_PATTERN } from "./flag-schemas";
import { AppError, notFound } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import { listEnvironmentKeys } from "./environments";
import { toFlagDto } from "./flag-dto";
import type { FlagDto } from "./flag-dto";
import type { UpdateFlagInput } from "./flag-schemas";
import { requirePermission } from "../auth/permissions";

/**
 * Edits what describes a flag (description, owner, tags) and its raw-event sampling (not its per-environment state, which has its
 * own versioned update). With `version`, only over that version of these settings: else 409 VERSION_CONFLICT with the current
 * flag, and nothing changes. Every edit bumps the version.
 */
export async function updateFlag(db: Db, principal: Principal | null, key: string, input: UpdateFlagInput): Promise<FlagDto> {
  const user = requirePermission(principal, "flag.update");
  if (!FLAG_KEY_PATTERN.test(key)) throw notFound("Flag");
  return db.$transaction(async (tx) => {
    // Locked for the read-modify-write: two edits of different fields at once (a description here, tags
    // there) both land instead of the later one writing back what the earlier one replaced. NO KEY:
    // kills and rollouts (FOR KEY SHARE, lib/db/lock-order.ts) do not wait for it; an archive does.
    await tx.$queryRaw`SELECT 1 FROM flags WHERE key = ${key} FOR NO KEY UPDATE`;
    const before = await tx.flag.findUnique({ where: { key } });
    if (!before || before.archivedAt) throw notFound(`Flag '${key}'`);
    // The flag as this transaction leaves it (read here: after the commit, a save by someone else could
    // be answered as this one's).
    const asDto = async (flag: typeof before) =>
      toFlagDto({ ...flag, states: await tx.flagState.findMany({ where: { flagId: before.id } }) }, await listEnvironmentKeys(tx));
    if (input.version !== undefined && input.version !== before.settingsVersion) {
      throw new AppError(
        "VERSION_CONFLICT",
        `The flag's settings were changed by someone else (you sent version ${input.version}, current is ${before.settingsVersion}). Reload and try again.`,
        { current: await asDto(before) },
      );
    }
    const after = {
      description: input.description ?? before.description,
      rawEventSamplePercent: input.rawEventSamplePercent ?? before.rawEventSamplePercent,
      owner: input.owner !== undefined ? input.owner : before.owner,
      tags: input.tags ?? before.tags,
    };
    const updated = await tx.flag.update({ where: { id: before.id }, data: { ...after, settingsVersion: { increment: 1 } } });
    await recordAudit(tx, {
      actor: { id: user.userId, label: actorLabel(user) },
      action: "flag.update",
      target: { type: "flag", id: key },
      before: {
        description: before.description,
        rawEventSamplePercent: before.rawEventSamplePercent,
        owner: before.owner,
        tags: before.tags,
      },
      after,
    });
    return asDto(updated);
  });
}
