import { z } from "zod";
import { plainText } from "../validation/text";

export const createApiTokenSchema = z.discriminatedUnion(
  "kind",
  [
    z.strictObject({
      kind: z.literal("user"),
      name: plainText({ min: 1, max: 80, minMessage: "enter a name" }),
      userId: z.string().uuid("choose a user"),
    }),
    z.strictObject({
      kind: z.literal("sdk"),
      name: plainText({ min: 1, max: 80, minMessage: "enter a name" }),
      environment: plainText({ min: 1, max: 40, minMessage: "choose an environment" }),
    }),
  ],
  { error: "kind must be user or sdk" },
);
export type CreateApiTokenInput = z.infer<typeof createApiTokenSchema>;
