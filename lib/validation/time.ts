import { z } from "zod";

/** The latest instant a JavaScript Date can hold: ECMAScript dates span ±8.64e15 ms around the epoch. */
export const MAX_EPOCH_MS = 8.64e15;

/**
 * A point in time sent by a client: ISO 8601 with an offset, or whole epoch milliseconds. A number
 * past MAX_EPOCH_MS is still a safe integer (up to 2^53) but no Date, so `new Date(n).toISOString()`
 * would throw a RangeError (a 500) in whatever checks it next; it is refused here, naming the field.
 */
export function instant() {
  return z.union(
    [
      z.string().datetime({ offset: true, error: "must be an ISO 8601 time" }),
      z
        .number()
        .int("must be whole epoch milliseconds")
        .positive("must be epoch milliseconds after 1970")
        .max(MAX_EPOCH_MS, `must be epoch milliseconds of at most ${MAX_EPOCH_MS} (the latest time a date can hold)`),
    ],
    { error: "must be an ISO 8601 time or epoch milliseconds" },
  );
}
