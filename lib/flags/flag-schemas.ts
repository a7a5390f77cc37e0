import { z } from "zod";

export const FLAG_KEY_PATTERN = /^[a-z0-9][a-z0-9._-]{0,99}$/;

export const flagKeySchema = z
  .string({ error: "key is required" })
  .trim()
  .regex(FLAG_KEY_PATTERN, "use 1–100 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");

export const createFlagSchema = z.strictObject({
  key: flagKeySchema,
  description: z.string().trim().max(500, "at most 500 characters").optional().default(""),
});
export type CreateFlagInput = z.infer<typeof createFlagSchema>;

const targetingKey = z.string().trim().min(1, "entries cannot be empty").max(200, "entries are at most 200 characters");

export const updateFlagStateSchema = z
  .strictObject({
    version: z.number({ error: "version is required (the version you last read)" }).int().min(1),
    enabled: z.boolean({ error: "must be true or false" }).optional(),
    rolloutPercent: z
      .number({ error: "must be a whole number from 0 to 100" })
      .int("must be a whole number from 0 to 100")
      .min(0, "must be between 0 and 100")
      .max(100, "must be between 0 and 100")
      .optional(),
    allowlist: z.array(targetingKey, { error: "must be a list of targeting keys" }).max(1000, "at most 1000 entries").optional(),
  })
  .refine((v) => v.enabled !== undefined || v.rolloutPercent !== undefined || v.allowlist !== undefined, {
    message: "change at least one of enabled, rolloutPercent, allowlist",
    path: ["enabled"],
  });
export type UpdateFlagStateInput = z.infer<typeof updateFlagStateSchema>;

export const updateFlagSchema = z.strictObject({
  description: z.string({ error: "description must be text" }).trim().max(500, "at most 500 characters"),
});
export type UpdateFlagInput = z.infer<typeof updateFlagSchema>;

export const archiveFlagSchema = z.strictObject({
  reason: z.string({ error: "reason is required" }).trim().min(3, "say why (at least 3 characters)").max(500, "at most 500 characters"),
});
export type ArchiveFlagInput = z.infer<typeof archiveFlagSchema>;
