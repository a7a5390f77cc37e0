import { z } from "zod";
import { plainText } from "../validation/text";
import { checkBuckets, seriesQueryFields } from "./metrics-schemas";

/** `GET /api/v1/flags/{key}/variants` query parameters, as strings from the URL. */
export const variantQuerySchema = z
  .strictObject({
    ...seriesQueryFields({ windowSeconds: 86_400, bucketSeconds: 3600 }),
    /** The variant the others are compared with. */
    control: plainText({ min: 1, max: 100, typeMessage: "control must be a variant name" }).optional(),
  })
  .superRefine(checkBuckets);
export type VariantQuery = z.infer<typeof variantQuerySchema>;
