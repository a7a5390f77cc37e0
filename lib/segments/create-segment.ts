import type { Db } from "../db/client";
import { AppError } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import { requirePermission } from "../auth/permissions";
import { toSegmentDto, type SegmentDto } from "./segment-dto";
import type { CreateSegmentInput } from "./segment-schemas";

export const nameTaken = (name: string) =>
  new AppError("CONFLICT", `A segment named '${name}' already exists`, { fields: { name: "already used by another segment" } });

export async function createSegment(db: Db, principal: Principal | null, input: CreateSegmentInput): Promise<SegmentDto> {
  const user = requirePermission(principal, "segment.manage");
  return db.$transaction(async (tx) => {
    // ON CONFLICT keeps a duplicate name (in any case) from aborting the transaction.
    const inserted = await tx.$queryRaw<{ id: number }[]>`
      INSERT INTO segments (name, description, constraints, created_by, updated_by)
      VALUES (${input.name}, ${input.description}, ${JSON.stringify(input.constraints)}::jsonb, ${user.userId}::uuid, ${user.userId}::uuid)
      ON CONFLICT DO NOTHING RETURNING id`;
    const id = inserted[0]?.id;
    if (id === undefined) throw nameTaken(input.name);
    const dto = toSegmentDto(await tx.segment.findUniqueOrThrow({ where: { id } }));
    await recordAudit(tx, {
      actor: { id: user.userId, label: actorLabel(user) },
      action: "segment.create",
      target: { type: "segment", id: String(id) },
      after: dto,
    });
    return dto;
  });
}
