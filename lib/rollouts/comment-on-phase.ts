import type { Db, Tx } from "../db/client";
import { notFound } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, requireUser, type Principal } from "../auth/principal";
import { requirePermission } from "../auth/permissions";
import type { PhaseCommentInput } from "./rollout-schemas";

export interface PhaseCommentDto {
  id: string;
  phaseIndex: number;
  author: { id: string; name: string };
  body: string;
  createdAt: string;
}

const toDto = (c: {
  id: string;
  phaseIndex: number;
  authorId: string;
  authorName: string;
  body: string;
  createdAt: Date;
}): PhaseCommentDto => ({
  id: c.id,
  phaseIndex: c.phaseIndex,
  author: { id: c.authorId, name: c.authorName },
  body: c.body,
  createdAt: c.createdAt.toISOString(),
});

async function requirePhase(db: Tx, rolloutId: string, phaseIndex: number) {
  const rollout = await db.rollout.findUnique({
    where: { id: rolloutId },
    select: {
      id: true,
      environmentKey: true,
      flag: { select: { key: true } },
      phases: { where: { index: phaseIndex }, select: { index: true } },
    },
  });
  if (!rollout) throw notFound(`Rollout '${rolloutId}'`);
  if (rollout.phases.length === 0) throw notFound(`Phase ${phaseIndex} of this rollout`);
  return rollout;
}

/** A phase's thread, oldest first: the request's questions and their answers read in order. */
export async function listPhaseComments(
  db: Db,
  principal: Principal | null,
  target: { rolloutId: string; phaseIndex: number },
): Promise<PhaseCommentDto[]> {
  requireUser(principal);
  await requirePhase(db, target.rolloutId, target.phaseIndex);
  const rows = await db.phaseComment.findMany({
    where: { rolloutId: target.rolloutId, phaseIndex: target.phaseIndex },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  return rows.map(toDto);
}

/**
 * Adds a comment to a phase's thread, audited in the same transaction. Comments are never edited or
 * deleted (the table refuses it), so the thread kept with the approval is what was said.
 */
export async function commentOnPhase(
  db: Db,
  principal: Principal | null,
  target: { rolloutId: string; phaseIndex: number },
  input: PhaseCommentInput,
  now = new Date(),
): Promise<PhaseCommentDto> {
  const user = requirePermission(principal, "rollout.comment");
  return db.$transaction(async (tx) => {
    const rollout = await requirePhase(tx, target.rolloutId, target.phaseIndex);
    const row = await tx.phaseComment.create({
      data: {
        rolloutId: rollout.id,
        phaseIndex: target.phaseIndex,
        authorId: user.userId,
        authorName: user.name,
        body: input.body,
        createdAt: now,
      },
    });
    await recordAudit(tx, {
      actor: { id: user.userId, label: actorLabel(user) },
      action: "rollout.comment",
      target: { type: "rollout", id: `${rollout.flag.key}/${rollout.environmentKey}/${rollout.id}` },
      after: { comment: row.id, phase: target.phaseIndex, body: row.body },
    });
    return toDto(row);
  });
}
