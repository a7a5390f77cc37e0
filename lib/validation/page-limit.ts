import { z } from "zod";

/** A list route's `?limit=`: a whole number from 1 to `max`, `fallback` when absent. */
export function pageLimit(max: number, fallback: number) {
  return z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, `must be 1–${max}`)
    .max(max, `must be 1–${max}`)
    .default(fallback);
}
