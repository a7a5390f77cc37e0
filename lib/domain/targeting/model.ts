/**
 * The targeting model: what decides, for one flag in one environment, who gets it and which variant.
 * It follows Unleash's client model closely on purpose (strategies, constraints, segments, variants,
 * dependencies), so that an Unleash export maps onto it without approximation and an Unleash SDK
 * reading `/api/client/features` answers exactly as Rollgate's own evaluator does.
 *
 * Evaluation order (lib/domain/targeting/evaluate.ts): killed or disabled → off; a dependency not met
 * → off; the allowlist → on; then the flag is on when *any* strategy matches (a strategy matches when
 * every constraint of it and of its segments matches and the subject falls inside its percentage).
 * A flag with no strategies keeps the plain rollout semantics of `FlagRule.rolloutPercent`.
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
  /** For the single-value operators (NUM_*, DATE_*, SEMVER_*, REGEX). */
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
  /** Relative weight; Unleash normalises weights to a total of 1000. */
  weight: number;
  /** "fix" weights are kept; "variable" ones share what is left (Unleash). */
  weightType?: "fix" | "variable";
  /** "default" (userId, then sessionId, then random), "random", or any context field. */
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

/** What one evaluation reads: Unleash's context, with free-form `properties`. */
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
