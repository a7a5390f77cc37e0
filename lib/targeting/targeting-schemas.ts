import { z } from "zod";
import { CONSTRAINT_OPERATORS, LIST_OPERATORS, type Constraint, type Targeting } from "../domain/targeting/model";
import { plainText } from "../validation/text";
import { valueCheck } from "./constraint-values";

/**
 * The targeting document a flag state stores (lib/domain/targeting/model.ts) and the constraints a
 * segment holds, as the API and the dashboard accept them. Everything that can be checked without
 * the database is checked here, with the message on the field that is wrong; what needs the
 * database (segments exist, dependencies name real flags) is checked by the service in its
 * transaction (lib/targeting/check-targeting.ts).
 */

export const MAX_STRATEGIES = 50;
export const MAX_CONSTRAINTS = 50;
export const MAX_LIST_VALUES = 1000;
export const MAX_VARIANTS = 100;
export const MAX_DEPENDENCIES = 20;

// "required", not "<field> is required": the message is shown next to the field (and keyed by it in the API).
const name100 = (what: string) => plainText({ min: 1, max: 100, typeMessage: `${what} must be text`, minMessage: "required" });
const entry = plainText({ min: 1, max: 200, trim: false, minMessage: "entries cannot be empty", typeMessage: "entries must be text" });

export const contextNameSchema = name100("contextName").refine(
  (v) => !/\s/.test(v),
  "no spaces (a context field name, like userId or email)",
);

/**
 * One constraint, returned in its canonical form: list operators keep `values`, the others `value`
 * (Unleash's exports often carry both, one of them empty). Flags default to false and are dropped.
 */
export const constraintSchema = z
  .strictObject(
    {
      contextName: contextNameSchema,
      operator: z.enum(CONSTRAINT_OPERATORS, { error: `operator must be one of ${CONSTRAINT_OPERATORS.join(", ")}` }),
      values: z
        .array(entry, { error: "values must be a list of text" })
        .max(MAX_LIST_VALUES, `at most ${MAX_LIST_VALUES} values`)
        .optional(),
      value: z.string({ error: "value must be text" }).max(1000, "at most 1000 characters").optional(),
      inverted: z.boolean({ error: "must be true or false" }).optional(),
      caseInsensitive: z.boolean({ error: "must be true or false" }).optional(),
    },
    { error: "a constraint is { contextName, operator, values | value, inverted?, caseInsensitive? }" },
  )
  .superRefine((c, ctx) => {
    const check = valueCheck(c.operator, c.caseInsensitive);
    if (LIST_OPERATORS.has(c.operator)) {
      if (!c.values?.length) ctx.addIssue({ code: "custom", path: ["values"], message: `${c.operator} needs at least one value` });
      c.values?.forEach((v, i) => {
        const problem = check?.(v);
        if (problem) ctx.addIssue({ code: "custom", path: ["values", i], message: problem });
      });
      return;
    }
    if (c.value === undefined || c.value.trim() === "") {
      ctx.addIssue({ code: "custom", path: ["value"], message: `${c.operator} needs a value` });
      return;
    }
    const problem = check?.(c.value);
    if (problem) ctx.addIssue({ code: "custom", path: ["value"], message: problem });
  })
  .transform((c): Constraint => {
    const out: Constraint = { contextName: c.contextName, operator: c.operator };
    if (LIST_OPERATORS.has(c.operator)) out.values = c.values ?? [];
    else out.value = (c.value ?? "").trim();
    if (c.inverted) out.inverted = true;
    if (c.caseInsensitive) out.caseInsensitive = true;
    return out;
  });

export const constraintsSchema = z
  .array(constraintSchema, { error: "constraints must be a list" })
  .max(MAX_CONSTRAINTS, `at most ${MAX_CONSTRAINTS} constraints`);

const stickinessSchema = plainText({ min: 1, max: 100, typeMessage: "stickiness must be text", minMessage: "stickiness is required" });

const payloadSchema = z
  .strictObject(
    {
      type: z.enum(["string", "number", "json", "csv"], { error: "type must be string, number, json or csv" }),
      value: z.string({ error: "value must be text" }).max(10_000, "at most 10000 characters"),
    },
    { error: "payload is { type, value }" },
  )
  .superRefine((p, ctx) => {
    if (p.type === "number" && (p.value.trim() === "" || !Number.isFinite(Number(p.value)))) {
      ctx.addIssue({ code: "custom", path: ["value"], message: "must be a number" });
    }
    if (p.type === "json") {
      try {
        JSON.parse(p.value);
      } catch {
        ctx.addIssue({ code: "custom", path: ["value"], message: "must be valid JSON" });
      }
    }
  });

const variantSchema = z.strictObject(
  {
    name: name100("name"),
    weight: z
      .number({ error: "weight must be a whole number from 0 to 1000" })
      .int("must be a whole number")
      .min(0, "cannot be negative")
      .max(1000, "at most 1000"),
    weightType: z.enum(["fix", "variable"], { error: "weightType must be fix or variable" }).optional(),
    stickiness: stickinessSchema.optional(),
    payload: payloadSchema.optional(),
    overrides: z
      .array(
        z.strictObject({
          contextName: contextNameSchema,
          values: z.array(entry).min(1, "at least one value").max(MAX_LIST_VALUES, `at most ${MAX_LIST_VALUES} values`),
        }),
        { error: "overrides must be a list of { contextName, values }" },
      )
      .max(MAX_CONSTRAINTS, `at most ${MAX_CONSTRAINTS} overrides`)
      .optional(),
  },
  { error: "a variant is { name, weight, weightType?, stickiness?, payload?, overrides? }" },
);

export const variantsSchema = z
  .array(variantSchema, { error: "variants must be a list" })
  .max(MAX_VARIANTS, `at most ${MAX_VARIANTS} variants`)
  .superRefine((variants, ctx) => {
    if (variants.length && variants.reduce((sum, v) => sum + v.weight, 0) <= 0) {
      ctx.addIssue({ code: "custom", message: "the weights must add up to more than 0" });
    }
    const seen = new Set<string>();
    variants.forEach((v, i) => {
      if (seen.has(v.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: "another variant has this name" });
      seen.add(v.name);
    });
  });

export const strategySchema = z.strictObject(
  {
    rollout: z
      .number({ error: "rollout must be a whole number from 0 to 100" })
      .int("must be a whole number")
      .min(0, "must be between 0 and 100")
      .max(100, "must be between 0 and 100"),
    stickiness: stickinessSchema.optional().default("default"),
    /** The bucketing group; the flag's own (its bucket group, else its key) when left out. */
    groupId: plainText({
      min: 1,
      max: 200,
      trim: false,
      typeMessage: "groupId must be text",
      minMessage: "groupId cannot be empty",
    }).optional(),
    constraints: constraintsSchema.optional().default([]),
    segments: z
      .array(
        z.number({ error: "segment ids are whole numbers" }).int("segment ids are whole numbers").min(1, "segment ids are whole numbers"),
        {
          error: "segments must be a list of segment ids",
        },
      )
      .max(MAX_CONSTRAINTS, `at most ${MAX_CONSTRAINTS} segments`)
      .optional()
      .default([]),
    variants: variantsSchema.optional().default([]),
    title: plainText({ max: 100, typeMessage: "title must be text" }).optional(),
  },
  { error: "a strategy is { rollout, stickiness?, groupId?, constraints?, segments?, variants?, title? }" },
);

// FLAG_KEY_PATTERN of lib/flags/flag-schemas.ts, which imports this file (so not imported from there).
const parentKeySchema = z
  .string({ error: "feature must be a flag key" })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._~-]{0,99}$/, "feature must be a flag key");

const dependencySchema = z.strictObject(
  {
    feature: parentKeySchema,
    enabled: z.boolean({ error: "must be true or false" }).optional(),
    variants: z.array(name100("variant"), { error: "variants must be a list of variant names" }).max(MAX_VARIANTS).optional(),
  },
  { error: "a dependency is { feature, enabled?, variants? }" },
);

export const targetingSchema = z.strictObject(
  {
    strategies: z
      .array(strategySchema, { error: "strategies must be a list" })
      .max(MAX_STRATEGIES, `at most ${MAX_STRATEGIES} strategies`)
      .optional()
      .default([]),
    variants: variantsSchema.optional().default([]),
    dependencies: z
      .array(dependencySchema, { error: "dependencies must be a list" })
      .max(MAX_DEPENDENCIES, `at most ${MAX_DEPENDENCIES} dependencies`)
      .optional()
      .default([]),
  },
  { error: "targeting is { strategies, variants, dependencies } or null" },
);
/** As parsed: a strategy's groupId may still be missing (the service fills in the flag's). */
export type TargetingInput = z.infer<typeof targetingSchema>;

/** The document as stored and served: every strategy with its bucketing group. */
export function completeTargeting(input: TargetingInput, defaultGroupId: string): Targeting {
  return {
    strategies: input.strategies.map(({ title, groupId, ...s }) => ({
      ...s,
      groupId: groupId ?? defaultGroupId,
      ...(title ? { title } : {}),
    })),
    variants: input.variants,
    dependencies: input.dependencies,
  };
}
