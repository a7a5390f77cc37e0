import type { Db } from "../db/client";
import { Prisma } from "../db/generated/client";
import { type Principal } from "../auth/principal";
import { requirePermission } from "../auth/permissions";
import { CURSOR_MICROS, CURSOR_UUID, decodeCursorParts, encodeCursorParts } from "../validation/opaque-cursor";

export interface ApiTokenDto {
  id: string;
  name: string;
  kind: "user" | "sdk";
  owner: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revoked: boolean;
}

export const DEFAULT_TOKEN_PAGE = 100;
export const MAX_TOKEN_PAGE = 500;

/** Where a page of tokens ends: its last token's creation time as stored (microseconds) and id. */
export interface TokenCursor {
  createdAt: string;
  id: string;
}

export function decodeTokenCursor(text: string): TokenCursor | null {
  const parts = decodeCursorParts(text, 3);
  if (!parts) return null;
  const [kind, createdAt, id] = parts as [string, string, string];
  return kind === "t" && CURSOR_MICROS.test(createdAt) && CURSOR_UUID.test(id) ? { createdAt, id } : null;
}

type TokenRow = Awaited<ReturnType<typeof readTokens>>[number];

function readTokens(db: Db, ids?: readonly string[]) {
  return db.apiToken.findMany({
    where: ids ? { id: { in: [...ids] } } : undefined,
    include: { user: true },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
  });
}

function toDto(t: TokenRow): ApiTokenDto {
  return {
    id: t.id,
    name: t.name,
    kind: t.kind === "sdk" ? "sdk" : "user",
    owner: t.kind === "sdk" ? `environment ${t.environmentKey}` : (t.user?.email ?? "—"),
    prefix: t.tokenPrefix,
    createdAt: t.createdAt.toISOString(),
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    revoked: t.revokedAt !== null,
  };
}

/** Every API token, newest first, never a secret (the Admin page). */
export async function listApiTokens(db: Db, principal: Principal | null): Promise<ApiTokenDto[]> {
  requirePermission(principal, "token.manage");
  return (await readTokens(db)).map(toDto);
}

/**
 * `listApiTokens` a page at a time, newest first (ties by id), with the cursor of the next page (null on
 * the last). The cursor keeps the creation time as stored: a JavaScript date would round microseconds
 * and skip or repeat tokens made within one millisecond (a bootstrap creates several at once).
 */
export async function listApiTokenPage(
  db: Db,
  principal: Principal | null,
  query: { limit?: number; after?: TokenCursor } = {},
): Promise<{ tokens: ApiTokenDto[]; next: string | null }> {
  requirePermission(principal, "token.manage");
  const limit = Math.min(query.limit ?? DEFAULT_TOKEN_PAGE, MAX_TOKEN_PAGE);
  const after = query.after;
  const older = after ? Prisma.sql`WHERE (created_at, id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)` : Prisma.empty;
  const found = await db.$queryRaw<{ id: string; created: string }[]>`
    SELECT id::text AS id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created FROM api_tokens
     ${older} ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`;
  const page = found.slice(0, limit);
  const last = page.at(-1);
  const next = found.length > limit && last ? encodeCursorParts(["t", last.created, last.id]) : null;
  const rows =
    page.length > 0
      ? await readTokens(
          db,
          page.map((r) => r.id),
        )
      : [];
  const position = new Map(page.map((r, i) => [r.id, i]));
  rows.sort((a, b) => position.get(a.id)! - position.get(b.id)!);
  return { tokens: rows.map(toDto), next };
}
