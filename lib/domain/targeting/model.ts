/**
 * The targeting model: what decides, for one flag in one environment, who gets it and which variant.
 * It follows Unleash's client model closely on purpose (strategies, constraints, segments, variants,
 * dependencies), so that an Unleash export maps onto it without approximation and an Unleash SDK
 * reading `/api/client/features` answers exactly as Rollgate's own evaluator does.
 *
 * Evaluation order (`evaluateWithContext` in lib/domain/evaluation.ts, over the compiled form in
 * ./compile.ts and ./evaluate.ts): killed or disabled → off; a dependency not met → off; the
 * allowlist → on; then the flag is on when *any* strategy matches, the first that matches deciding
 * the variant (a strategy matches when every constraint of it and of its segments matches and the
 * subject falls inside its percentage); then the staged rollout's percentage.
 *
 * How `FlagRule.rolloutPercent` combines with strategies: it is one more strategy, after the others,
 * `{ rollout: rolloutPercent, stickiness: "userId", groupId: the flag's group, no constraints }`. So a
 * flag without strategies answers exactly as before (the plain rollout, on the fast path), 100 % is
 * on for everyone, 0 % adds no one, and a subject no strategy matched is bucketed by user id in the
 * flag's group, or answered TARGETING_KEY_MISSING without one (never a random draw: an anonymous
 * OFREP request keeps getting its default value). The Unleash client API sends it the same way
 * (`flexibleRollout`, userId stickiness, last). A rollout phase that targets a segment is a strategy
 * `{ rollout: 100, stickiness: "default", segments: [id] }` (the internal phase: "Staff"); a phase
 * "10 % of Staff" is that strategy at 10 %; a phase "Staff, and 10 % of everyone" is the segment
 * strategy plus `rolloutPercent: 10`.
 *
 * Answers (`TargetedEvaluation`, ./result.ts): a flag without variants answers "on"/"off"; a flag
 * with variants (its own or a strategy's) answers the variant's name with its typed payload, or
 * Unleash's "disabled" when none is served (off, or on without a variant). Reasons, as OFREP names
 * them: DISABLED (killed or disabled), TARGETING_MATCH (allowlist, a strategy with constraints or
 * segments, a variant override), SPLIT (a percentage below 100 % or a variant picked by weight),
 * STATIC (on or off for everyone), DEFAULT (on, but no rule served the subject; or a dependency not
 * met). Randomness ("random" stickiness, "default" stickiness without user or session id) and the
 * current time (DATE_* without `currentTime`) come from the caller (`Sources`), so evaluation stays
 * pure and testable.
 */

/** Unleash's constraint operators, with Unleash's semantics (spec 13, 14, 21 and 22). */
export const CONSTRAINT_OPERATORS = [
  "IN",
  "NOT_IN",
  "STR_CONTAINS",
  "STR_STARTS_WITH",
  "STR_ENDS_WITH",
  "NUM_EQ",
  "NUM_GT",
  "NUM_GTE",
  "NUM_LT",
  "NUM_LTE",
  "DATE_AFTER",
  "DATE_BEFORE",
  "SEMVER_EQ",
  "SEMVER_GT",
  "SEMVER_GTE",
  "SEMVER_LT",
  "SEMVER_LTE",
  "REGEX",
  "IN_CIDR",
] as const;
export type ConstraintOperator = (typeof CONSTRAINT_OPERATORS)[number];

/** Operators that compare against a list (`values`); the others compare against one `value`. */
export const LIST_OPERATORS: ReadonlySet<ConstraintOperator> = new Set([
  "IN",
  "NOT_IN",
  "STR_CONTAINS",
  "STR_STARTS_WITH",
  "STR_ENDS_WITH",
  "IN_CIDR",
]);

/**
 * Context fields with a meaning of their own; any other `contextName` reads `properties[contextName]`.
 * OFREP maps its context onto these: `targetingKey` → `userId`, the attributes `sessionId`,
 * `remoteAddress`, `environment`, `appName`, `currentTime` onto themselves, everything else to
 * `properties` (README: "Targeting context").
 */
export const STANDARD_CONTEXT_FIELDS = ["userId", "sessionId", "remoteAddress", "environment", "appName", "currentTime"] as const;

export interface Constraint {
  contextName: string;
  operator: ConstraintOperator;
  /** For list operators. */
  values?: string[];
  /**
   * For the single-value operators (NUM_*, DATE_*, SEMVER_*, REGEX). DATE_* compare the context's
   * `currentTime` (now when absent) whatever `contextName` says, as Unleash does. REGEX is RE2 syntax,
   * the subset `regexProblem` (./regex.ts) accepts.
   */
  value?: string;
  /** Negates the whole result, including "the field is missing" (Unleash's semantics). */
  inverted?: boolean;
  /** For STR_* and REGEX (and IN/NOT_IN are always case-sensitive, as in Unleash). */
  caseInsensitive?: boolean;
}

/** A named, reusable set of constraints ("Staff": email ends with @acme.com). */
export interface Segment {
  id: number;
  name: string;
  constraints: Constraint[];
}

export type PayloadType = "string" | "number" | "json" | "csv";

export interface VariantDefinition {
  name: string;
  /**
   * Relative weight, used as it is (as every Unleash SDK does): a variant is picked by
   * normalizedHash(group:subject, seed 86028157) modulo the sum of the weights. Editors normalise to
   * 1000 with `distributeVariantWeights` (./variants.ts), as Unleash's server does.
   */
  weight: number;
  /** For editing: "fix" weights are kept; "variable" ones share what is left (Unleash). */
  weightType?: "fix" | "variable";
  /**
   * The first variant's stickiness picks for the whole list (Unleash): "default" (userId, then
   * sessionId, then remoteAddress, then random), "random", or any context field (random without it).
   * Strategy variants without one use their strategy's stickiness.
   */
  stickiness?: string;
  payload?: { type: PayloadType; value: string };
  /** Context values that always get this variant. */
  overrides?: { contextName: string; values: string[] }[];
}

export interface Strategy {
  /** 0–100: the share of subjects (by stickiness) the strategy is on for, once its constraints match. */
  rollout: number;
  /** "default" (userId, then sessionId, then random), "userId", "sessionId", "random", or any context field. */
  stickiness: string;
  /** Bucketing group: the same group and subject always land in the same bucket. */
  groupId: string;
  constraints: Constraint[];
  /** Segment ids; every constraint of every segment must match too. A missing segment never matches. */
  segments: number[];
  /** Strategy variants: when this strategy is the first that matches, they replace the flag's variants. */
  variants: VariantDefinition[];
  /** A human title shown in the dashboard ("Staff", "Canada 10 %"). */
  title?: string;
}

export interface Dependency {
  /** The parent flag's key. */
  feature: string;
  /** Default true: the parent must be on (false: the parent must be off). */
  enabled?: boolean;
  /** When given, the parent's variant must be one of these. */
  variants?: string[];
}

export interface Targeting {
  strategies: Strategy[];
  variants: VariantDefinition[];
  dependencies: Dependency[];
}

/**
 * What one evaluation reads: Unleash's context, with free-form `properties`. A standard field reads
 * the field, else `properties[field]` (Unleash's resolveContextValue); any other name reads
 * `properties`. OFREP's evaluation context maps on as documented above `STANDARD_CONTEXT_FIELDS`:
 * callers put the standard fields at the top and never in `properties`.
 */
export interface TargetingContext {
  userId?: string;
  sessionId?: string;
  remoteAddress?: string;
  environment?: string;
  appName?: string;
  /** ISO-8601; now when absent. */
  currentTime?: string;
  properties?: Record<string, string>;
}
