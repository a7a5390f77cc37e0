import type { Db } from "../db/client";
import { type Principal } from "../auth/principal";
import { toUserDto, type UserDto } from "./user-dto";
import { requirePermission } from "../auth/permissions";
import { decodeCursorParts, encodeCursorParts } from "../validation/opaque-cursor";

export const DEFAULT_USER_PAGE = 100;
export const MAX_USER_PAGE = 500;

/** Where a page of users ends: people before service accounts, each by email (unique). */
export interface UserCursor {
  isService: boolean;
  email: string;
}

export function encodeUserCursor(c: UserCursor): string {
  return encodeCursorParts(["u", c.isService ? "1" : "0", c.email]);
}

export function decodeUserCursor(text: string): UserCursor | null {
  const parts = decodeCursorParts(text, 3);
  if (!parts) return null;
  const [kind, service, email] = parts as [string, string, string];
  return kind === "u" && (service === "0" || service === "1") && email.length > 0 && email.length <= 320
    ? { isService: service === "1", email }
    : null;
}

/** Every user, people first, then by email (the Admin page). */
export async function listUsers(db: Db, principal: Principal | null): Promise<UserDto[]> {
  requirePermission(principal, "user.manage");
  return (await db.user.findMany({ orderBy: [{ isService: "asc" }, { email: "asc" }] })).map(toUserDto);
}

/** `listUsers` a page at a time: at most `limit` after `after`, with the cursor of the next page (null on the last). */
export async function listUserPage(
  db: Db,
  principal: Principal | null,
  query: { limit?: number; after?: UserCursor } = {},
): Promise<{ users: UserDto[]; next: string | null }> {
  requirePermission(principal, "user.manage");
  const limit = Math.min(query.limit ?? DEFAULT_USER_PAGE, MAX_USER_PAGE);
  const after = query.after;
  const found = await db.user.findMany({
    where: after
      ? { OR: [{ isService: after.isService, email: { gt: after.email } }, ...(after.isService ? [] : [{ isService: true }])] }
      : undefined,
    orderBy: [{ isService: "asc" }, { email: "asc" }],
    take: limit + 1,
  });
  const page = found.slice(0, limit);
  const last = page.at(-1);
  return {
    users: page.map(toUserDto),
    next: found.length > limit && last ? encodeUserCursor({ isService: last.isService, email: last.email }) : null,
  };
}
