import { z } from "zod";
import { plainText } from "../validation/text";
import { TAG_PATTERN } from "./flag-catalog-schemas";
import { CURSOR_MICROS, CURSOR_UUID, decodeCursorParts, encodeCursorParts } from "../validation/opaque-cursor";

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;

/** What a flag serves in one environment, as the list's state filter names it. */
export const FLAG_STATE_FILTERS = ["on", "off", "killed", "rolling_out", "full"] as const;
export type FlagStateFilter = (typeof FLAG_STATE_FILTERS)[number];

/** key A→Z; updated and evaluated newest first (never evaluated last). */
export const FLAG_SORTS = ["key", "updated", "evaluated"] as const;
export type FlagSort = (typeof FLAG_SORTS)[number];

/** Where a page starts: after (`next`) or before (`prev`) the row with this sort value and id. */
export interface FlagCursor {
  sort: FlagSort;
  direction: "next" | "prev";
  value: string;
  id: string;
}

/**
 * Opaque to callers: base64url of a small JSON array. It names the sort it was made for, so a
 * cursor reused with another sort is refused rather than silently skipping flags.
 */
export function encodeCursor(cursor: FlagCursor): string {
  return encodeCursorParts([cursor.sort, cursor.direction === "next" ? "n" : "p", cursor.value, cursor.id]);
}

export function decodeCursor(text: string): FlagCursor | null {
  const parts = decodeCursorParts(text, 4);
  if (!parts) return null;
  const [sort, dir, value, id] = parts as [string, string, string, string];
  if (!(FLAG_SORTS as readonly string[]).includes(sort) || (dir !== "n" && dir !== "p") || !CURSOR_UUID.test(id)) return null;
  if (sort !== "key" && !CURSOR_MICROS.test(value)) return null;
  if (sort === "key" && (value.length === 0 || value.length > 100)) return null;
  return { sort: sort as FlagSort, direction: dir === "n" ? "next" : "prev", value, id };
}

const optionalText = (max: number, typeMessage: string) =>
  plainText({ max, typeMessage })
    .optional()
    .transform((v) => (v ? v : undefined));

/**
 * `GET /api/v1/flags` and the /flags page's query: every parameter optional, unknown ones refused.
 * Empty values mean "not set", so a form submitting an empty search box still parses.
 */
export const flagListQuerySchema = z
  .strictObject({
    limit: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v === "") return DEFAULT_PAGE_SIZE;
        const n = /^\d{1,4}$/.test(v) ? Number(v) : NaN;
        if (!(n >= 1 && n <= MAX_PAGE_SIZE)) {
          ctx.addIssue({ code: "custom", message: `a whole number from 1 to ${MAX_PAGE_SIZE}` });
          return z.NEVER;
        }
        return n;
      }),
    cursor: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (!v) return undefined;
        const cursor = decodeCursor(v);
        if (!cursor) {
          ctx.addIssue({ code: "custom", message: "not a cursor from this list; start again without it" });
          return z.NEVER;
        }
        return cursor;
      }),
    q: optionalText(100, "q must be text"),
    environment: optionalText(100, "environment must be text"),
    state: z
      .enum(["", ...FLAG_STATE_FILTERS], { error: `one of ${FLAG_STATE_FILTERS.join(", ")}` })
      .optional()
      .transform((v) => (v ? (v as FlagStateFilter) : undefined)),
    owner: optionalText(100, "owner must be text"),
    tag: z
      .string()
      .trim()
      .optional()
      .transform((v, ctx) => {
        if (!v) return undefined;
        const tag = v.toLowerCase();
        if (!TAG_PATTERN.test(tag)) {
          ctx.addIssue({ code: "custom", message: "not a tag (lowercase letters, digits and '-')" });
          return z.NEVER;
        }
        return tag;
      }),
    stale: z
      .enum(["", "0", "1", "true", "false"], { error: "1 or 0" })
      .optional()
      .transform((v) => v === "1" || v === "true"),
    sort: z
      .enum(["", ...FLAG_SORTS], { error: `one of ${FLAG_SORTS.join(", ")}` })
      .optional()
      .transform((v) => (v ? (v as FlagSort) : "key")),
  })
  .superRefine((v, ctx) => {
    if (v.cursor && v.cursor.sort !== v.sort) {
      ctx.addIssue({ code: "custom", path: ["cursor"], message: `this cursor is for sort=${v.cursor.sort}; start again without it` });
    }
  });
export type FlagListQuery = z.output<typeof flagListQuerySchema>;
