import { z } from "zod";
import { plainText } from "../validation/text";

export const killSchema = z.strictObject({
  reason: plainText({
    min: 3,
    max: 500,
    multiline: true,
    typeMessage: "reason is required",
    minMessage: "say why (at least 3 characters)",
  }),
});
export type KillInput = z.infer<typeof killSchema>;

const section = (what: string) => plainText({ max: 5000, multiline: true, typeMessage: `${what} must be text` });

export const acknowledgeSchema = z.strictObject({
  version: z.number({ error: "version is required (the version you last read)" }).int().min(1),
  note: plainText({ max: 2000, multiline: true }).optional(),
});
export type AcknowledgeInput = z.infer<typeof acknowledgeSchema>;

/** The incident report of the seeds: summary, impact, root cause, actions taken, follow-ups. */
export const resolveSchema = z.strictObject({
  version: z.number({ error: "version is required (the version you last read)" }).int().min(1),
  summary: plainText({ min: 3, max: 5000, multiline: true, minMessage: "summarise what happened", typeMessage: "summary is required" }),
  impact: section("impact").default(""),
  rootCause: section("rootCause").default(""),
  actionsTaken: section("actionsTaken").default(""),
  followUps: section("followUps").default(""),
});
export type ResolveInput = z.infer<typeof resolveSchema>;
