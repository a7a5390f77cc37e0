import type { Db } from "../db/client";
import { AppError } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { hashPassword } from "../auth/password";
import { actorLabel, type Principal } from "../auth/principal";
import { toUserDto, type UserDto } from "./user-dto";
import type { CreateUserInput } from "./user-schemas";
import { requirePermission } from "../auth/permissions";

export async function createUser(db: Db, principal: Principal | null, input: CreateUserInput): Promise<UserDto> {
  const admin = requirePermission(principal, "user.manage");
  return createUserAs(db, { id: admin.userId, label: actorLabel(admin) }, input);
}

/**
 * Creates the user and audits it as `actor`: an admin (createUser), or the operator at the command
 * line (`npm run user:create`), who is trusted because they hold the database's credentials.
 */
export async function createUserAs(db: Db, actor: { id: string | null; label: string }, input: CreateUserInput): Promise<UserDto> {
  const passwordHash = await hashPassword(input.password);
  return db.$transaction(async (tx) => {
    const inserted = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO users (email, name, roles, password_hash)
      VALUES (${input.email}, ${input.name}, ${input.roles}::text[], ${passwordHash})
      ON CONFLICT (email) DO NOTHING RETURNING id`;
    const id = inserted[0]?.id;
    if (!id) throw new AppError("CONFLICT", `A user with email ${input.email} already exists`, { fields: { email: "already exists" } });
    const user = toUserDto(await tx.user.findUniqueOrThrow({ where: { id } }));
    await recordAudit(tx, {
      actor,
      action: "user.create",
      target: { type: "user", id: input.email },
      after: { email: user.email, name: user.name, roles: user.roles },
    });
    return user;
  });
}
