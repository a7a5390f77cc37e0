import { z } from "zod";
import { plainText } from "../validation/text";
import { ownerSchema, tagsSchema } from "./flag-catalog-schemas";
import { targetingSchema } from "../targeting/targeting-schemas";

/** Case-sensitive, like Unleash feature names; no spaces or slashes (a key is one path segment). */
export const FLAG_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,99}$/;

export const flagKeySchema = z
  .string({ error: "key is required" })
  .trim()
  .regex(FLAG_KEY_PATTERN, "use 1–100 letters, digits, '.', '_', '~' or '-', starting with a letter or digit (case counts)");

export const createFlagSchema = z.strictObject({
  key: flagKeySchema,
  /**
   * What users are bucketed by (default: the key). Set it to keep buckets when moving a flag from
   * another system (Unleash's groupId) or to give several flags the same buckets.
   */
  bucketGroup: plainText({ min: 1, max: 200, trim: false, typeMessage: "bucketGroup must be text" })
    .refine((v) => v.trim() === v, "no leading or trailing spaces")
    .optional(),
  description: plainText({ max: 500, multiline: true, typeMessage: "description must be text" }).optional().default(""),
  owner: ownerSchema.optional().default(null),
  tags: tagsSchema.optional().default([]),
});
export type CreateFlagInput = z.infer<typeof createFlagSchema>;

const reasonText = plainText({
  min: 3,
  max: 500,
  multiline: true,
  typeMessage: "reason must be text",
  minMessage: "say why (at least 3 characters)",
});

const targetingKey = plainText({ min: 1, max: 200, minMessage: "entries cannot be empty", typeMessage: "entries must be text" });

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
    /** Strategies, variants and dependencies (lib/domain/targeting/model.ts); null removes them. */
    targeting: targetingSchema.nullable().optional(),
    // Why: recorded in the audit log. The dashboard requires one for production; the API accepts one anywhere.
    reason: reasonText.optional(),
    // Changing a flag by hand while its rollout is live is refused unless the caller says why.
    override: z.strictObject({ reason: reasonText }, { error: "override must be { reason }" }).optional(),
  })
  .refine((v) => v.enabled !== undefined || v.rolloutPercent !== undefined || v.allowlist !== undefined || v.targeting !== undefined, {
    message: "change at least one of enabled, rolloutPercent, allowlist, targeting",
    path: ["enabled"],
  });
export type UpdateFlagStateInput = z.infer<typeof updateFlagStateSchema>;

export const updateFlagSchema = z
  .strictObject({
    description: plainText({ max: 500, multiline: true, typeMessage: "description must be text" }).optional(),
    /** Share of the flag's raw events stored for debugging; the rollups count every event regardless. */
    rawEventSamplePercent: z
      .number({ error: "must be a number from 0 to 100" })
      .min(0, "must be between 0 and 100")
      .max(100, "must be between 0 and 100")
      .optional(),
    owner: ownerSchema.optional(),
    tags: tagsSchema.optional(),
    /** The settings' version the edit was based on; when sent and no longer current, 409 with the current flag. */
    version: z
      .number({ error: "must be the flag's version, a whole number" })
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .optional(),
  })
  .refine((v) => v.description !== undefined || v.rawEventSamplePercent !== undefined || v.owner !== undefined || v.tags !== undefined, {
    message: "change at least one of description, rawEventSamplePercent, owner, tags",
    path: ["description"],
  });
export type UpdateFlagInput = z.infer<typeof updateFlagSchema>;

export const archiveFlagSchema = z.strictObject({
  reason: plainText({
    min: 3,
    max: 500,
    multiline: true,
    typeMessage: "reason is required",
    minMessage: "say why (at least 3 characters)",
  }),
});
export type ArchiveFlagInput = z.infer<typeof archiveFlagSchema>;
