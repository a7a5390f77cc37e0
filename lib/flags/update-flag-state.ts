import type { Db } from "../db/client";
import { AppError, notFound } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, requireRole, type Principal } from "../auth/principal";
import { toFlagStateDto, type FlagStateDto } from "./flag-dto";
import type { UpdateFlagStateInput } from "./flag-schemas";

/**
 * Optimistic locking: the caller sends the version it read. The conditional UPDATE below is the
 * arbiter (it matches only while the row still has that version), so of N concurrent writers with
 * the same version exactly one succeeds; the rest get 409 with the state they must reconcile with.
 */
export async function updateFlagState(
  db: Db,
  principal: Principal | null,
  target: { flagKey: string; environment: string },
  input: UpdateFlagStateInput,
): Promise<FlagStateDto> {
  const user = requireRole(principal, "engineer");
  return db.$transaction(
    async (tx) => {
      const flag = await tx.flag.findUnique({ where: { key: target.flagKey }, select: { id: true, archivedAt: true } });
      if (!flag || flag.archivedAt) throw notFound(`Flag '${target.flagKey}'`);
      const where = { flagId_environmentKey: { flagId: flag.id, environmentKey: target.environment } };
      const before = await tx.flagState.findUnique({ where });
      if (!before) throw notFound(`Environment '${target.environment}'`);
      const conflict = (current: FlagStateDto) =>
        new AppError(
          "VERSION_CONFLICT",
          `The flag was changed by someone else (you sent version ${input.version}, current is ${current.version}). Reload and try again.`,
          { current },
        );
      if (before.version !== input.version) throw conflict(toFlagStateDto(before));

      const { count } = await tx.flagState.updateMany({
        where: { flagId: flag.id, environmentKey: target.environment, version: input.version },
        data: {
          enabled: input.enabled,
          rolloutPercent: input.rolloutPercent,
          allowlist: input.allowlist ? [...new Set(input.allowlist)] : undefined,
          version: { increment: 1 },
          updatedAt: new Date(),
          updatedBy: user.userId,
        },
      });
      const after = await tx.flagState.findUniqueOrThrow({ where });
      if (count === 0) throw conflict(toFlagStateDto(after));

      const beforeDto = toFlagStateDto(before);
      const afterDto = toFlagStateDto(after);
      await recordAudit(tx, {
        actor: { id: user.userId, label: actorLabel(user) },
        action: "flag_state.update",
        target: { type: "flag_state", id: `${target.flagKey}/${target.environment}` },
        before: beforeDto,
        after: afterDto,
      });
      return afterDto;
    },
    { timeout: 20_000, maxWait: 20_000 },
  );
}
