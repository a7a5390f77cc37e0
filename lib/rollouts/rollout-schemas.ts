import { isTimeZone } from "../domain/approval-conditions";
import { z } from "zod";
import { FLAG_KEY_PATTERN } from "../flags/flag-schemas";
import { REASON_MAX } from "../domain/reason";
import { GATE_NAMES } from "../domain/rollout";
import { plainText } from "../validation/text";

const rate = (what: string) =>
  z
    .number({ error: `${what} must be a number from 0 to 1` })
    .finite()
    .min(0, "must be from 0 to 1")
    .max(1, "must be from 0 to 1");

export const criteriaSchema = z.strictObject({
  minSuccessRate: rate("minSuccessRate").optional(),
  maxErrorRate: rate("maxErrorRate").optional(),
  maxP95Ms: z.number({ error: "must be milliseconds" }).finite().positive("must be more than 0").max(600_000).optional(),
  minSamples: z.number({ error: "must be a whole number" }).int("must be a whole number").min(1, "at least 1").max(100_000_000).optional(),
  windowSeconds: z
    .number({ error: "must be seconds" })
    .int("must be whole seconds")
    .min(60, "at least 60 s")
    .max(30 * 86_400, "at most 30 days")
    .optional(),
});

const targetingKey = plainText({ min: 1, max: 200, minMessage: "entries cannot be empty" });
/** Segments by id (GET /api/v1/segments); a phase serves everyone they match ("Staff"). */
const segmentIds = z
  .array(z.number({ error: "must be a segment id" }).int("must be a segment id").positive("must be a segment id"), {
    error: "segments must be a list of segment ids",
  })
  .max(10, "at most 10 segments");

export const phaseSchema = z.strictObject({
  name: plainText({ min: 1, max: 60, minMessage: "name the phase" }),
  percent: z
    .number({ error: "must be a whole number from 0 to 100" })
    .int("must be a whole number from 0 to 100")
    .min(0, "must be from 0 to 100")
    .max(100, "must be from 0 to 100"),
  minSoakSeconds: z
    .number({ error: "must be seconds" })
    .int("must be whole seconds")
    .min(0, "cannot be negative")
    .max(90 * 86_400, "at most 90 days")
    .default(0),
  criteria: criteriaSchema.default({}),
  requiredApprovals: z
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(0, "cannot be negative")
    .max(10, "at most 10")
    .default(0),
  checklist: z
    .array(plainText({ min: 1, max: 120, minMessage: "items cannot be empty" }))
    .max(20, "at most 20 items")
    .default([]),
  allowlist: z.array(targetingKey).max(1000, "at most 1000 entries").default([]),
  segments: segmentIds.default([]),
  notBefore: z.iso.datetime({ offset: true, error: "must be an ISO 8601 time" }).optional(),
});
export type PhaseInput = z.infer<typeof phaseSchema>;

export const impactSchema = z.strictObject({
  riskLevel: z.enum(["low", "medium", "high"], { error: "choose low, medium or high" }),
  benefits: plainText({ max: 2000, multiline: true }).default(""),
  risks: plainText({ max: 2000, multiline: true }).default(""),
  links: z
    .array(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).max(500))
    .max(10, "at most 10 links")
    .default([]),
});
export type ImpactInput = z.infer<typeof impactSchema>;

/** The seeds' production checklist as a gate: the environment before this one "completed, ≥ N h at 100 %, no incident". */
const requireEarlierSchema = z
  .strictObject({
    hoursAtFull: z
      .number({ error: "hoursAtFull must be a number of hours" })
      .min(0, "at least 0 hours")
      .max(720, "at most 720 hours (30 days)"),
  })
  .nullable();

/**
 * The communication plan: which of the environment's webhooks hear of this rollout's steps. null: every
 * enabled one (the default); a list: only those (empty: none). Kill and guardrail notices ignore it.
 */
const notifyWebhookIdsSchema = z
  .array(z.uuid({ error: "must be a webhook id" }), { error: "notifyWebhookIds must be a list of webhook ids, or null for all" })
  .max(50, "at most 50 webhooks")
  .nullable();

export const createRolloutSchema = z.strictObject({
  flagKey: z.string({ error: "flagKey is required" }).regex(FLAG_KEY_PATTERN, "not a flag key"),
  environment: plainText({ min: 1, max: 40, minMessage: "environment is required" }),
  /** Omit `phases` and name `template: "playbook"` to start from internal → 10 → 50 → 100 %. */
  template: z.literal("playbook", { error: "the only template is 'playbook'" }).optional(),
  phases: z.array(phaseSchema, { error: "phases must be a list" }).max(10, "at most 10 phases").optional(),
  internalAllowlist: z.array(targetingKey).max(1000).optional(),
  /** The playbook's internal phase as segments ("Staff"), kept until 100 %. */
  internalSegments: segmentIds.optional(),
  impact: impactSchema.optional(),
  autoAdvance: z.boolean({ error: "must be true or false" }).default(false),
  requireEarlier: requireEarlierSchema.optional(),
  notifyWebhookIds: notifyWebhookIdsSchema.optional(),
});
export type CreateRolloutInput = z.infer<typeof createRolloutSchema>;

export const editRolloutSchema = z.strictObject({
  version: z.number({ error: "version is required (the version you last read)" }).int().min(1),
  phases: z.array(phaseSchema, { error: "phases must be a list" }).min(1, "add at least one phase").max(10, "at most 10 phases").optional(),
  impact: impactSchema.optional(),
  autoAdvance: z.boolean({ error: "must be true or false" }).optional(),
  requireEarlier: requireEarlierSchema.optional(),
  notifyWebhookIds: notifyWebhookIdsSchema.optional(),
});
export type EditRolloutInput = z.infer<typeof editRolloutSchema>;

export const transitionSchema = z.strictObject({
  version: z.number({ error: "version is required (the version you last read)" }).int().min(1),
  reason: plainText({ max: REASON_MAX, multiline: true }).optional(),
  /** Admins may advance past red gates with a written reason; it is audited and shown. */
  override: z.boolean({ error: "must be true or false" }).optional(),
  /**
   * With `override`: the red gates the admin saw and overrides, by name (the dashboard always sends
   * them). A gate that turned red since, not among these, is refused rather than overridden unseen.
   */
  overrideGates: z
    .array(z.string({ error: "must be gate names" }).max(40))
    .max(20)
    .optional(),
  /** Advancing into a phase with conditional approvals: the person advancing has read their conditions. */
  acknowledgeConditions: z.boolean({ error: "must be true or false" }).optional(),
  /**
   * The conditional approvals whose conditions were read (the dashboard always sends them): one signed
   * since, not among these, is refused rather than acknowledged unread.
   */
  acknowledgedApprovals: z
    .array(z.uuid({ error: "must be the ids of the approvals whose conditions you read" }))
    .max(50)
    .optional(),
  /** A roll back that would serve "on" to more subjects than now needs this (and an engineer or admin). */
  confirmWiden: z.boolean({ error: "must be true or false" }).optional(),
});
export type TransitionInput = z.infer<typeof transitionSchema>;

export const REVIEW_ITEMS = [
  "change",
  "impact assessment",
  "deployment plan",
  "test results",
  "rollback plan",
  "monitoring plan",
  "communication plan",
] as const;

export const approvalFormSchema = z
  .strictObject({
    decision: z.enum(["approved", "conditional", "rejected"], { error: "choose approved, conditional or rejected" }),
    riskLevel: z.enum(["low", "medium", "high"], { error: "choose low, medium or high" }),
    reviewed: z.array(plainText({ min: 1, max: 120 }), { error: "reviewed must be a list" }).max(20),
    conditions: plainText({ max: 2000, multiline: true }).optional(),
    /** Conditions that are a time, held by the gate: not before this instant (ISO 8601)… */
    notBefore: z.iso.datetime({ offset: true, error: "must be an ISO 8601 time, e.g. 2026-12-07T09:00:00Z" }).optional(),
    /** …and only Monday–Friday 09:00–17:00 in this IANA time zone. */
    officeHoursTimeZone: z
      .string({ error: "must be a time zone name" })
      .max(64)
      .refine(isTimeZone, { error: "must be an IANA time zone, e.g. Europe/Berlin or UTC" })
      .optional(),
    reason: plainText({ max: 2000, multiline: true }).optional(),
    signature: plainText({ min: 1, max: 120, minMessage: "type your name to sign" }),
    /** Replaces this signer's live form for the phase (a new record; the old one is kept). */
    supersedes: z.uuid({ error: "must be the id of your earlier form" }).optional(),
    /**
     * The plan version the signer reviewed (the dashboard's form always sends it): refused with 409
     * and the current rollout when the plan has been edited since, so a signature never attests to
     * a plan its signer was not shown.
     */
    planVersion: z.number({ error: "must be the plan version you reviewed" }).int("must be a whole number").min(1).optional(),
    /**
     * The gates the signer was shown passing (the dashboard's form always sends them): refused with
     * 409 and the current rollout when one of them fails by the time the form arrives (an incident
     * opened, the error rate crossed its limit), so a signature never rests on a green it no longer has.
     */
    passingGates: z
      .array(z.enum(GATE_NAMES, { error: `must be gate names: ${GATE_NAMES.join(", ")}` }), { error: "must be a list of gate names" })
      .max(GATE_NAMES.length, "names each gate once")
      .refine((names) => new Set(names).size === names.length, "names each gate once")
      .optional(),
  })
  .superRefine((form, ctx) => {
    if (form.decision === "conditional" && !form.conditions)
      ctx.addIssue({ code: "custom", path: ["conditions"], message: "state the conditions of your approval" });
    if (form.decision === "rejected" && !form.reason) ctx.addIssue({ code: "custom", path: ["reason"], message: "say why you reject it" });
    if (form.reviewed.length === 0) ctx.addIssue({ code: "custom", path: ["reviewed"], message: "tick what you reviewed" });
    for (const field of ["notBefore", "officeHoursTimeZone"] as const) {
      if (form[field] !== undefined && form.decision !== "conditional")
        ctx.addIssue({ code: "custom", path: [field], message: "only a conditional approval has time conditions" });
    }
  });
export type ApprovalFormInput = z.infer<typeof approvalFormSchema>;

export const checklistTickSchema = z.strictObject({
  item: plainText({ min: 1, max: 120 }),
  done: z.boolean({ error: "must be true or false" }),
});
export type ChecklistTickInput = z.infer<typeof checklistTickSchema>;

/**
 * An engineer's request for a phase's approval. `productOwners` names people by user id or by email
 * (whichever the caller has; the dashboard sends ids); none means any product owner.
 */
export const approvalRequestSchema = z.strictObject({
  productOwners: z
    .array(plainText({ min: 1, max: 320, minMessage: "entries cannot be empty" }), { error: "productOwners must be a list" })
    .max(20, "at most 20 people")
    .default([]),
  note: plainText({ max: 2000, multiline: true }).optional(),
});
export type ApprovalRequestInput = z.infer<typeof approvalRequestSchema>;

export const phaseCommentSchema = z.strictObject({
  body: plainText({ min: 1, max: 2000, multiline: true, minMessage: "write a comment" }),
});
export type PhaseCommentInput = z.infer<typeof phaseCommentSchema>;
