import { z } from "zod";

export const createApiTokenSchema = z.discriminatedUnion(
  "kind",
  [
    z.strictObject({
      kind: z.literal("user"),
      name: z.string().trim().min(1, "enter a name").max(80),
      userId: z.string().uuid("choose a user"),
    }),
    z.strictObject({
      kind: z.literal("sdk"),
      name: z.string().trim().min(1, "enter a name").max(80),
      environment: z.string().min(1, "choose an environment"),
    }),
  ],
  { error: "kind must be user or sdk" },
);
export type CreateApiTokenInput = z.infer<typeof createApiTokenSchema>;
