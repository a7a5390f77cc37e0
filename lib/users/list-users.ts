import type { Db } from "../db/client";
import { type Principal } from "../auth/principal";
import { toUserDto, type UserDto } from "./user-dto";
import { requirePermission } from "../auth/permissions";

export async function listUsers(db: Db, principal: Principal | null): Promise<UserDto[]> {
  requirePermission(principal, "user.manage");
  return (await db.user.findMany({ orderBy: [{ isService: "asc" }, { email: "asc" }] })).map(toUserDto);
}
