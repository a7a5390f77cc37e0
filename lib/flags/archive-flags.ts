import { z } from "zod";
import type { Db } from "../db/client";
import { AppError } from "../errors";
import type { Principal } from "../auth/principal";
import { requirePermission } from "../auth/permissions";
import { archiveFlagSchema, flagKeySchema } from "./flag-schemas";
import { archiveLockedFlag, flagsInProgress } from "./archive-flag";

export const MAX_BULK_ARCHIVE = 500;

export const archiveFlagsSchema = archiveFlagSchema.extend({
  keys: z
    .array(flagKeySchema, { error: "choose the flags to archive" })
    .min(1, "choose at least one flag")
    .max(MAX_BULK_ARCHIVE, `at most ${MAX_BULK_ARCHIVE} flags at once`)
    .transform((keys) => [...new Set(keys)]),
});
export type ArchiveFlagsInput = z.infer<typeof archiveFlagsSchema>;

/**
 * Archives several flags with one reason: one transaction, one audit entry per flag. All or nothing:
 * when any of them is unknown, already archived or mid-rollout (as a single archive refuses), nothing
 * is archived and the message names every flag in the way, so the person can deselect them and retry
 * (422 with `fields.keys`: the request names flags it cannot archive, whatever their state).
 */
export async function archiveFlags(db: Db, principal: Principal | null, input: ArchiveFlagsInput): Promise<{ archived: string[] }> {
  const user = requirePermission(principal, "flag.archive");
  return db.$transaction(async (tx) => {
    // Level 1 of lib/db/lock-order.ts for several flags: FOR UPDATE (archiving), in id order.
    const flags = await tx.$queryRaw<{ id: string; key: string; archived_at: Date | null }[]>`
      SELECT id, key, archived_at FROM flags WHERE key = ANY(${input.keys}::text[]) ORDER BY id FOR UPDATE`;
    const found = new Map(flags.filter((f) => !f.archived_at).map((f) => [f.key, f]));
    const missing = input.keys.filter((k) => !found.has(k));
    if (missing.length) {
      throw new AppError("UNPROCESSABLE", `No such flag (or already archived), nothing archived: ${missing.join(", ")}`, {
        fields: { keys: `not found: ${missing.join(", ")}` },
      });
    }
    const busy = await flagsInProgress(
      tx,
      [...found.values()].map((f) => f.id),
    );
    if (busy.size) {
      const keys = [...found.values()].filter((f) => busy.has(f.id)).map((f) => f.key);
      throw new AppError("UNPROCESSABLE", `Rollout in progress, nothing archived: ${keys.join(", ")}; complete or roll them back first`, {
        fields: { keys: `rollout in progress: ${keys.join(", ")}` },
      });
    }
    for (const key of input.keys) await archiveLockedFlag(tx, user, found.get(key)!, input.reason);
    return { archived: input.keys };
  });
}
