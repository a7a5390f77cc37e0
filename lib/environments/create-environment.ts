import { z } from "zod";
import { plainText } from "../validation/text";
import type { Db } from "../db/client";
import { AppError } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import { requirePermission } from "../auth/permissions";

export const createEnvironmentSchema = z.strictObject({
  key: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9-]{0,39}$/, "use 1–40 lowercase letters, digits or '-', starting with a letter"),
  name: plainText({ min: 1, max: 80, minMessage: "enter a name" }),
});
export type CreateEnvironmentInput = z.infer<typeof createEnvironmentSchema>;

/** Adds an environment; a trigger gives every existing flag a disabled state in it. */
export async function createEnvironment(
  db: Db,
  principal: Principal | null,
  input: CreateEnvironmentInput,
): Promise<{ key: string; name: string }> {
  const admin = requirePermission(principal, "environment.create");
  return db.$transaction(async (tx) => {
    // Its trigger gives a state here to every flag it can see, and a new flag's trigger to every
    // environment it can see: a flag committing while this runs would be seen by neither. SHARE mode
    // waits for flag writes in progress and holds new ones off until this commits (milliseconds, for
    // a rare admin action); row locks (kills, archives) are not affected.
    await tx.$executeRaw`LOCK TABLE flags IN SHARE MODE`;
    const inserted = await tx.$queryRaw<{ key: string }[]>`
      INSERT INTO environments (key, name, sort_order)
      VALUES (${input.key}, ${input.name}, (SELECT coalesce(max(sort_order), 0) + 10 FROM environments))
      ON CONFLICT (key) DO NOTHING RETURNING key`;
    if (!inserted[0]) throw new AppError("CONFLICT", `Environment '${input.key}' already exists`, { fields: { key: "already exists" } });
    await recordAudit(tx, {
      actor: { id: admin.userId, label: actorLabel(admin) },
      action: "environment.create",
      target: { type: "environment", id: input.key },
      after: input,
    });
    return input;
  });
}
