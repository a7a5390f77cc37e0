import type { Db } from "../db/client";
import { AppError, notFound } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { hashPassword } from "../auth/password";
import { actorLabel, requireRole, type Principal } from "../auth/principal";
import type { CreateUserInput, UpdateUserInput } from "./user-schemas";

export interface UserDto {
  id: string;
  email: string;
  name: string;
  roles: string[];
  isService: boolean;
  disabled: boolean;
  createdAt: string;
}

const toDto = (u: {
  id: string;
  email: string;
  name: string;
  roles: string[];
  isService: boolean;
  disabledAt: Date | null;
  createdAt: Date;
}): UserDto => ({
  id: u.id,
  email: u.email,
  name: u.name,
  roles: u.roles,
  isService: u.isService,
  disabled: u.disabledAt !== null,
  createdAt: u.createdAt.toISOString(),
});

export async function listUsers(db: Db, principal: Principal | null): Promise<UserDto[]> {
  requireRole(principal, "admin");
  return (await db.user.findMany({ orderBy: [{ isService: "asc" }, { email: "asc" }] })).map(toDto);
}

export async function createUser(db: Db, principal: Principal | null, input: CreateUserInput): Promise<UserDto> {
  const admin = requireRole(principal, "admin");
  const passwordHash = await hashPassword(input.password);
  return db.$transaction(async (tx) => {
    const inserted = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO users (email, name, roles, password_hash)
      VALUES (${input.email}, ${input.name}, ${input.roles}::text[], ${passwordHash})
      ON CONFLICT (email) DO NOTHING RETURNING id`;
    const id = inserted[0]?.id;
    if (!id) throw new AppError("CONFLICT", `A user with email ${input.email} already exists`, { fields: { email: "already exists" } });
    const user = toDto(await tx.user.findUniqueOrThrow({ where: { id } }));
    await recordAudit(tx, {
      actor: { id: admin.userId, label: actorLabel(admin) },
      action: "user.create",
      target: { type: "user", id: input.email },
      after: { email: user.email, name: user.name, roles: user.roles },
    });
    return user;
  });
}

/**
 * Changes roles and the disabled flag. Refuses to leave the system without an active admin, so an
 * admin cannot lock everyone out by accident.
 */
export async function updateUser(db: Db, principal: Principal | null, input: UpdateUserInput): Promise<UserDto> {
  const admin = requireRole(principal, "admin");
  return db.$transaction(async (tx) => {
    // Serialise admin changes so two concurrent demotions cannot both pass the last-admin check.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(7346010002)`;
    const before = await tx.user.findUnique({ where: { id: input.userId } });
    if (!before) throw notFound("User");
    const after = await tx.user.update({
      where: { id: input.userId },
      data: { roles: input.roles, disabledAt: input.disabled ? (before.disabledAt ?? new Date()) : null },
    });
    const activeAdmins = await tx.user.count({ where: { roles: { has: "admin" }, disabledAt: null } });
    if (activeAdmins === 0) {
      throw new AppError("UNPROCESSABLE", "At least one active admin must remain", {
        fields: { roles: "the last active admin cannot lose the admin role" },
      });
    }
    if (input.disabled) await tx.session.deleteMany({ where: { userId: input.userId } });
    await recordAudit(tx, {
      actor: { id: admin.userId, label: actorLabel(admin) },
      action: "user.update",
      target: { type: "user", id: before.email },
      before: { roles: before.roles, disabled: before.disabledAt !== null },
      after: { roles: after.roles, disabled: after.disabledAt !== null },
    });
    return toDto(after);
  });
}
