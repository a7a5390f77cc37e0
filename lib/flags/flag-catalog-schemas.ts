import { z } from "zod";
import { plainText } from "../validation/text";

/** A tag: a lowercase slug, as the database's check on flags.tags requires. */
export const TAG_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;
export const MAX_TAGS = 20;

export const tagSchema = z
  .string({ error: "tags must be text" })
  .trim()
  .regex(TAG_PATTERN, "use 1–40 lowercase letters, digits or '-', starting with a letter or digit");

/** Tags in the order given, duplicates dropped; at most 20. */
export const tagsSchema = z
  .array(tagSchema, { error: "tags must be a list of tags" })
  .transform((tags) => [...new Set(tags)])
  .refine((tags) => tags.length <= MAX_TAGS, `at most ${MAX_TAGS} tags`);

/** Who answers for a flag: a team or a person, as free text; empty means nobody. */
export const ownerSchema = plainText({ max: 100, typeMessage: "owner must be text or null" })
  .nullable()
  .transform((v) => (v ? v : null));

/**
 * Tags typed into one text field ("payments, checkout"): split on commas and white space, each
 * lowercased, so "Checkout" is accepted as the slug it means rather than refused.
 */
export function parseTagList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}
