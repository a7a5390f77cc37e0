import { z } from "zod";
import { REASON_MAX } from "../domain/reason";
import { plainText } from "../validation/text";

export const killSchema = z.strictObject({
  reason: plainText({
    min: 3,
    max: REASON_MAX,
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

export const SEVERITIES = ["sev1", "sev2", "sev3"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Triage: how bad it is and who is on it; at least one of the two, against the version last read. */
export const triageSchema = z
  .strictObject({
    version: z.number({ error: "version is required (the version you last read)" }).int().min(1),
    severity: z.enum(SEVERITIES, { error: "severity must be sev1, sev2 or sev3" }).optional(),
    // null unassigns; the id of a user who may work incidents assigns.
    assigneeId: z
      .string({ error: "assigneeId must be a user id or null" })
      .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "assigneeId must be a user id or null")
      .transform((s) => s.toLowerCase())
      .nullable()
      .optional(),
  })
  .refine((v) => v.severity !== undefined || v.assigneeId !== undefined, {
    path: ["severity"],
    message: "send severity, assigneeId or both",
  });
export type TriageInput = z.infer<typeof triageSchema>;

/** A timeline note: free text, immutable once written. `version`, if sent, must be current. */
export const noteSchema = z.strictObject({
  body: plainText({ min: 1, max: 2000, multiline: true, typeMessage: "body is required", minMessage: "write the note" }),
  version: z.number({ error: "version must be the version you last read" }).int().min(1).optional(),
});
export type NoteInput = z.infer<typeof noteSchema>;
