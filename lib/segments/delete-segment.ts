import type { Db } from "../db/client";
import { AppError, notFound } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import { requirePermission } from "../auth/permissions";
import { toSegmentDto } from "./segment-dto";
import { segmentIdParam } from "./segment-schemas";
import { segmentUsage } from "./segment-usage";

/**
 * Deletes a segment nobody uses; 409 naming the flag states (and their rollouts) while any refers to
 * it. The row is locked first (FOR UPDATE conflicts with the KEY SHARE a flag state writer takes on
 * the segments it names), so a flag cannot start using it between the check and the delete; the
 * foreign key from flag_state_segments is the last line.
 */
export async function deleteSegment(db: Db, principal: Principal | null, rawId: string): Promise<void> {
  const user = requirePermission(principal, "segment.manage");
  const id = segmentIdParam(rawId);
  if (id === null) throw notFound("Segment");
  await db.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM segments WHERE id = ${id} FOR UPDATE`;
    if (!locked.length) throw notFound(`Segment ${id}`);
    const row = await tx.segment.findUniqueOrThrow({ where: { id } });
    const usage = await segmentUsage(tx, id);
    if (usage.length) {
      const names = usage.map((u) => `${u.flagKey} in ${u.environment}${u.rollout ? ` (${u.rollout.status} rollout)` : ""}`);
      throw new AppError(
        "CONFLICT",
        `${row.name} is still used by ${names.join(", ")}. Remove it from their targeting and rollout plans first.`,
        {
          usage,
          current: toSegmentDto(row),
        },
      );
    }
    await tx.segment.delete({ where: { id } });
    await recordAudit(tx, {
      actor: { id: user.userId, label: actorLabel(user) },
      action: "segment.delete",
      target: { type: "segment", id: String(id) },
      before: toSegmentDto(row),
    });
  });
}
