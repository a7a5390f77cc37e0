import type { Db } from "../db/client";
import { AppError } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import { listEnvironmentKeys } from "./environments";
import { toFlagDto, type FlagDto } from "./flag-dto";
import type { CreateFlagInput } from "./flag-schemas";
import { requirePermission } from "../auth/permissions";

export async function createFlag(db: Db, principal: Principal | null, input: CreateFlagInput): Promise<FlagDto> {
  const user = requirePermission(principal, "flag.create");
  return db.$transaction(async (tx) => {
    // ON CONFLICT keeps a duplicate key from aborting the transaction with a unique violation.
    const inserted = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO flags (key, description, owner_id, bucket_group, owner, tags)
      VALUES (${input.key}, ${input.description}, ${user.userId}::uuid, ${input.bucketGroup ?? null}, ${input.owner}, ${input.tags}::text[])
      ON CONFLICT (key) DO NOTHING RETURNING id`;
    const id = inserted[0]?.id;
    if (!id) {
      const existing = await tx.flag.findUnique({ where: { key: input.key }, select: { archivedAt: true } });
      const archived = existing?.archivedAt != null;
      throw new AppError(
        "CONFLICT",
        archived ? `Flag '${input.key}' existed and was archived; keys are not reused` : `A flag with key '${input.key}' already exists`,
        { fields: { key: archived ? "used by an archived flag" : "already exists" } },
      );
    }
    const flag = await tx.flag.findUniqueOrThrow({ where: { id }, include: { states: true } });
    const dto = toFlagDto(flag, await listEnvironmentKeys(tx));
    await recordAudit(tx, {
      actor: { id: user.userId, label: actorLabel(user) },
      action: "flag.create",
      target: { type: "flag", id: input.key },
      after: dto,
    });
    return dto;
  });
}
