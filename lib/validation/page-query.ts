import { z } from "zod";
import { pageLimit } from "./page-limit";

const NOT_A_CURSOR = "not a cursor from this list; start again without it";

/**
 * A paged list's query, `?limit=&cursor=` and nothing else: `limit` from 1 to `max` (`fallback` when
 * absent), `cursor` a `next` this list handed out, decoded by `decode` (null: not one of this list's).
 */
export function pageQuery<C>(decode: (text: string) => C | null, max: number, fallback: number) {
  return z.strictObject({
    limit: pageLimit(max, fallback),
    cursor: z
      .string()
      .max(600, NOT_A_CURSOR)
      .transform((v, ctx) => {
        const cursor = decode(v);
        if (cursor) return cursor;
        ctx.addIssue({ code: "custom", message: NOT_A_CURSOR });
        return z.NEVER;
      })
      .optional(),
  });
}
