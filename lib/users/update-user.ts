import type { Db } from "../db/client";
import { AppError, notFound } from "../errors";
import { recordAudit } from "../audit/record-audit";
import { actorLabel, type Principal } from "../auth/principal";
import { toUserDto, type UserDto } from "./user-dto";
import type { PatchUserInput } from "./user-schemas";
import { requirePermission } from "../auth/permissions";

/**
 * Changes roles, the disabled flag or both (what is not given stays as it is under the lock, so two
 * admins changing different things both count). Refuses to leave the system without an active admin, so an
 * admin cannot lock everyone out by accident.
 */
export async function updateUser(db: Db, principal: Principal | null, input: PatchUserInput & { userId: string }): Promise<UserDto> {
  const admin = requirePermission(principal, "user.manage");
  return db.$transaction(async (tx) => {
    // Serialise admin changes so two concurrent demotions cannot both pass the last-admin check.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(7346010002)`;
    const before = await tx.user.findUnique({ where: { id: input.userId } });
    if (!before) throw notFound("User");
    const after = await tx.user.update({
      where: { id: input.userId },
      data: {
        roles: input.roles ?? before.roles,
        disabledAt: (input.disabled ?? before.disabledAt !== null) ? (before.disabledAt ?? new Date()) : null,
      },
    });
    const activeAdmins = await tx.user.count({ where: { roles: { has: "admin" }, disabledAt: null } });
    if (activeAdmins === 0) {
      throw new AppError("UNPROCESSABLE", "At least one active admin must remain", {
        fields: { roles: "the last active admin cannot lose the admin role" },
      });
    }
    if (after.disabledAt) await tx.session.deleteMany({ where: { userId: input.userId } });
    await recordAudit(tx, {
      actor: { id: admin.userId, label: actorLabel(admin) },
      action: "user.update",
      target: { type: "user", id: before.email },
      before: { roles: before.roles, disabled: before.disabledAt !== null },
      after: { roles: after.roles, disabled: after.disabledAt !== null },
    });
    return toUserDto(after);
  });
}
