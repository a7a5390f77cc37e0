import { allOf, compileConstraint, NEVER, type Matcher } from "./operators";
import type { Dependency, Segment, Strategy, Targeting } from "./model";
import type { TargetingReason } from "./result";
import { rolloutCheck, type RolloutCheck } from "./stickiness";
import { compileVariants, type CompiledVariants } from "./variants";

export interface CompiledStrategy {
  /** Its constraints and its segments' constraints; never, when a segment is missing. */
  readonly matches: Matcher;
  readonly inRollout: RolloutCheck;
  readonly variants: CompiledVariants | null;
  /** Why the flag is on when this strategy serves it without a variant. */
  readonly reason: TargetingReason;
}

export interface CompiledTargeting {
  readonly strategies: readonly CompiledStrategy[];
  /** The flag's own variants, served when the strategy that matched has none. */
  readonly variants: CompiledVariants | null;
  readonly dependencies: readonly Dependency[];
  /** Whether the flag has variants anywhere: its variant names are then Unleash's ("disabled" for none). */
  readonly multivariate: boolean;
  /** The staged rollout's percentage: one more strategy after the others (model.ts). */
  readonly rolloutPercent: number;
  readonly groupId: string;
}

export interface TargetingInput {
  targeting: Targeting;
  /** The flag's key: Unleash picks a flag's own variants by it. */
  flagKey: string;
  /** The flag's bucketing group and percentage (FlagRule.groupId / rolloutPercent). */
  groupId: string;
  rolloutPercent: number;
  segments: Readonly<Record<string, Segment>>;
}

function strategyReason(s: Strategy): TargetingReason {
  if (s.rollout > 0 && s.rollout < 100 && s.stickiness !== "random") return "SPLIT";
  const everyone = s.rollout >= 100 && ["default", "random", ""].includes(s.stickiness);
  return everyone && s.constraints.length === 0 && s.segments.length === 0 ? "STATIC" : "TARGETING_MATCH";
}

function compileStrategy(s: Strategy, segments: Readonly<Record<string, Segment>>): CompiledStrategy {
  const found = s.segments.map((id) => segments[String(id)]);
  const constraints = [...s.constraints, ...found.flatMap((seg) => seg?.constraints ?? [])];
  const matches = found.includes(undefined) ? NEVER : allOf(constraints.map(compileConstraint));
  return {
    matches,
    inRollout: rolloutCheck(s.rollout, s.stickiness, s.groupId),
    variants: compileVariants(s.variants, s.groupId, s.stickiness),
    reason: strategyReason(s),
  };
}

/** A flag's targeting, compiled once per change (of the flag or of a segment it uses). */
export function compileTargeting(input: TargetingInput): CompiledTargeting {
  const { targeting: t } = input;
  return {
    strategies: t.strategies.map((s) => compileStrategy(s, input.segments)),
    variants: compileVariants(t.variants, input.flagKey),
    dependencies: t.dependencies,
    multivariate: t.variants.length > 0 || t.strategies.some((s) => s.variants.length > 0),
    rolloutPercent: input.rolloutPercent,
    groupId: input.groupId,
  };
}

/**
 * One of the rollout phase's segments as a strategy: on at 100 % for every subject it matches, after
 * the user's own strategies (whose variants keep priority) and before the staged percentage. A phase
 * serves each of its segments (one strategy per segment, so "Staff and Beta testers" is either, as
 * its allowlist and percentage add to each other), never only their intersection.
 */
export function rolloutAudienceStrategy(segment: number, groupId: string): Strategy {
  return { rollout: 100, stickiness: "default", groupId, constraints: [], segments: [segment], variants: [], title: "Rollout phase" };
}

const NO_TARGETING: Targeting = Object.freeze({ strategies: [], variants: [], dependencies: [] }) as Targeting;

/** A flag's targeting with its rollout phase's segments appended, a strategy each (none: unchanged). */
export function withRolloutAudience(t: Targeting | undefined, segments: readonly number[], groupId: string): Targeting {
  const base = t ?? NO_TARGETING;
  if (segments.length === 0) return base;
  return { ...base, strategies: [...base.strategies, ...segments.map((id) => rolloutAudienceStrategy(id, groupId))] };
}

/** Whether a targeting changes anything over the plain rollout (else the flag keeps the fast path). */
export const hasTargeting = (t: Targeting | undefined): t is Targeting =>
  !!t && (t.strategies.length > 0 || t.variants.length > 0 || t.dependencies.length > 0);

/** The segment ids a targeting refers to. */
export const segmentIdsOf = (t: Targeting | undefined): number[] => [...new Set(t?.strategies.flatMap((s) => s.segments) ?? [])];
