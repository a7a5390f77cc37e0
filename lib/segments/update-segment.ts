import type { Db, Tx } from "../db/client";
import { AppError, notFound } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import { requirePermission } from "../auth/permissions";
import { sqlStateOf } from "../db/db-errors";
import { stableStringify } from "../domain/stable-json";
import { nameTaken } from "./create-segment";
import { toSegmentDto, type SegmentDetailDto, type SegmentRow } from "./segment-dto";
import { segmentIdParam, type UpdateSegmentInput } from "./segment-schemas";
import { segmentUsage } from "./segment-usage";
import { lockPlansServing, replanForSegment } from "../rollouts/replan-for-segment";

const uniqueById = <T extends { id: string }>(list: T[]): T[] => [...new Map(list.map((r) => [r.id, r])).values()];

/** The segment row, locked against other edits and deletion but not against flag states that refer to it. */
async function lockSegment(tx: Tx, id: number): Promise<SegmentRow | null> {
  const rows = await tx.$queryRaw<(Omit<SegmentRow, "createdAt" | "updatedAt"> & { created_at: Date; updated_at: Date })[]>`
    SELECT id, name, description, constraints, version, created_at, updated_at FROM segments WHERE id = ${id} FOR NO KEY UPDATE`;
  const r = rows[0];
  return r ? { ...r, createdAt: r.created_at, updatedAt: r.updated_at } : null;
}

/**
 * Optimistic locking like a flag state: the caller sends the version it read; a stale one is 409
 * with the segment as it is now. A segment's constraints are part of every flag that uses it, so a
 * change of who matches (name or constraints) on a segment that a live rollout's flag uses must be
 * confirmed (`confirm: true`, with `confirmRollouts` the ones it covers), else 409 naming those rollouts; the audit entry records the
 * confirmation and the rollouts. The configuration version of every environment using it is bumped
 * by a trigger in this transaction, so the data plane reloads it. A plan whose phases to come serve
 * it gets a new plan version (lib/rollouts/replan-for-segment.ts): its approvers signed the old audience.
 */
export async function updateSegment(
  db: Db,
  principal: Principal | null,
  rawId: string,
  input: UpdateSegmentInput,
  now = new Date(),
): Promise<SegmentDetailDto> {
  const user = requirePermission(principal, "segment.manage");
  const id = segmentIdParam(rawId);
  if (id === null) throw notFound("Segment");
  return db.$transaction(
    async (tx) => {
      const before = await lockSegment(tx, id);
      if (!before) throw notFound(`Segment ${id}`);
      const usage = await segmentUsage(tx, id);
      const current = { ...toSegmentDto(before), usage };
      if (before.version !== input.version) {
        throw new AppError(
          "VERSION_CONFLICT",
          `The segment was changed by someone else (you sent version ${input.version}, current is ${before.version}). Reload and try again.`,
          { current },
        );
      }
      const audienceChanges =
        (input.name !== undefined && input.name !== before.name) ||
        (input.constraints !== undefined && stableStringify(input.constraints) !== stableStringify(before.constraints));
      // The plans whose phases to come serve it change with it (lib/rollouts/replan-for-segment.ts):
      // locked now, before the update (whose trigger takes the environments' rows, which come after
      // rollouts in the lock order), and part of what the edit must confirm.
      const plans = audienceChanges ? await lockPlansServing(tx, id, now) : [];
      const rollouts = uniqueById([
        ...usage.flatMap((u) => (u.rollout ? [{ ...u.rollout, flagKey: u.flagKey, environment: u.environment }] : [])),
        ...plans.map((p) => ({ id: p.id, status: p.status, flagKey: p.flagKey, environment: p.environment })),
      ]);
      // A confirmation covers the rollouts it named: one using the segment since was not on screen.
      const unconfirmed = input.confirmRollouts ? rollouts.filter((r) => !input.confirmRollouts!.includes(r.id)) : [];
      if (audienceChanges && rollouts.length && (input.confirm !== true || unconfirmed.length)) {
        const named = (list: typeof rollouts) => list.map((r) => `${r.flagKey} in ${r.environment}, ${r.status}`).join("; ");
        throw new AppError(
          "CONFLICT",
          input.confirm === true
            ? `More live rollouts use ${before.name} since you confirmed (${named(unconfirmed)}): confirm the change again.`
            : `${before.name} is used by ${rollouts.length === 1 ? "a live rollout" : `${rollouts.length} live rollouts`} (` +
                named(rollouts) +
                "): the change reaches their audience at once. Send confirm: true to make it.",
          {
            rollouts,
            current,
            fields: { confirm: "confirm the change to a segment a live rollout uses" },
            ...(input.confirm === true ? { unconfirmed: unconfirmed.map((r) => r.id) } : {}),
          },
        );
      }
      try {
        await tx.$executeRaw`
          UPDATE segments
             SET name = ${input.name ?? before.name},
                 description = ${input.description ?? before.description},
                 constraints = ${JSON.stringify(input.constraints ?? before.constraints)}::jsonb,
                 version = version + 1, updated_at = ${now}, updated_by = ${user.userId}::uuid
           WHERE id = ${id}`;
      } catch (err) {
        if (sqlStateOf(err) === "23505") throw nameTaken(input.name ?? before.name);
        throw err;
      }
      const after = toSegmentDto(await tx.segment.findUniqueOrThrow({ where: { id } }));
      await replanForSegment(tx, plans, { id, name: after.name }, { userId: user.userId, label: actorLabel(user) }, now);
      await recordAudit(tx, {
        actor: { id: user.userId, label: actorLabel(user) },
        action: "segment.update",
        target: { type: "segment", id: String(id) },
        before: toSegmentDto(before),
        after: audienceChanges && rollouts.length ? { ...after, confirmed: true, rollouts } : after,
        reason: input.reason || null,
      });
      return { ...after, usage };
    },
    { timeout: 20_000, maxWait: 20_000 },
  );
}
