import type { Db } from "../db/client";
import { requireRole, type Principal } from "../auth/principal";
import { toUserDto, type UserDto } from "./user-dto";

export async function listUsers(db: Db, principal: Principal | null): Promise<UserDto[]> {
  requireRole(principal, "admin");
  return (await db.user.findMany({ orderBy: [{ isService: "asc" }, { email: "asc" }] })).map(toUserDto);
}
