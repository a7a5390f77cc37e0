import { z } from "zod";
import { plainText } from "../validation/text";
import { checkBuckets, MAX_BUCKET_SECONDS, MAX_WINDOW_SECONDS, MIN_BUCKET_SECONDS, seconds } from "./metrics-schemas";

/** `GET /api/v1/flags/{key}/variants` query parameters, as strings from the URL. */
export const variantQuerySchema = z
  .strictObject({
    environment: plainText({ min: 1, max: 100, typeMessage: "environment must be text" }).optional().default("production"),
    windowSeconds: seconds("windowSeconds", 86_400).pipe(
      z.number().min(60, "must be at least 60").max(MAX_WINDOW_SECONDS, `must be at most ${MAX_WINDOW_SECONDS} (7 days)`),
    ),
    bucketSeconds: seconds("bucketSeconds", 3600).pipe(
      z
        .number()
        .min(MIN_BUCKET_SECONDS, `must be at least ${MIN_BUCKET_SECONDS}`)
        .max(MAX_BUCKET_SECONDS, `must be at most ${MAX_BUCKET_SECONDS} (1 day)`)
        .refine((v) => v % 60 === 0, "must be a multiple of 60 (rollups are per minute)"),
    ),
    /** The variant the others are compared with. */
    control: plainText({ min: 1, max: 100, typeMessage: "control must be a variant name" }).optional(),
  })
  .superRefine(checkBuckets);
export type VariantQuery = z.infer<typeof variantQuerySchema>;
