import { z } from "zod";
import { GUARDRAIL_ACTIONS, GUARDRAIL_METRICS } from "../domain/guardrail";

export const guardrailRuleSchema = z
  .strictObject({
    metric: z.enum(GUARDRAIL_METRICS, { error: `metric is one of ${GUARDRAIL_METRICS.join(", ")}` }),
    threshold: z.number({ error: "must be a number" }).finite().min(0, "cannot be negative"),
    windowSeconds: z.number({ error: "must be seconds" }).int().min(60, "at least 60 s").max(86_400, "at most a day").default(300),
    minSamples: z.number({ error: "must be a whole number" }).int().min(1, "at least 1").max(10_000_000).default(100),
    action: z.enum(GUARDRAIL_ACTIONS, { error: `action is one of ${GUARDRAIL_ACTIONS.join(", ")}` }),
  })
  .refine((r) => r.metric === "p95_ms" || r.threshold <= 1, { message: "rates are from 0 to 1", path: ["threshold"] });

export const setGuardrailsSchema = z.strictObject({
  guardrails: z.array(guardrailRuleSchema, { error: "guardrails must be a list" }).max(10, "at most 10 guardrails"),
  /** Record verdicts without acting, to try thresholds on live traffic first. */
  dryRun: z.boolean({ error: "must be true or false" }).default(false),
});
export type SetGuardrailsInput = z.infer<typeof setGuardrailsSchema>;
