import type { CompiledSnapshot } from "./config-snapshot";
import type { CompiledFlag } from "./evaluation";
import { rolloutAudienceStrategy } from "./targeting/compile";
import { LIST_OPERATORS, type Constraint, type Dependency, type Segment, type Strategy, type VariantDefinition } from "./targeting/model";

/** A constraint as Unleash's client API sends it. */
export interface UnleashConstraint {
  contextName: string;
  operator: string;
  values?: string[];
  value?: string;
  inverted?: boolean;
  caseInsensitive?: boolean;
}

export interface UnleashVariant {
  name: string;
  weight: number;
  weightType?: "fix" | "variable";
  stickiness?: string;
  payload?: { type: string; value: string };
  overrides?: { contextName: string; values: string[] }[];
}

export interface UnleashClientStrategy {
  name: string;
  parameters: Record<string, string>;
  constraints: UnleashConstraint[];
  variants?: UnleashVariant[];
}

/** A feature as Unleash's client API (`GET /api/client/features`, version 2) describes it. */
export interface UnleashFeature {
  name: string;
  enabled: boolean;
  type: "release";
  project: "default";
  stale: false;
  impressionData: false;
  strategies: UnleashClientStrategy[];
  variants: UnleashVariant[];
  dependencies?: Dependency[];
}

// An IN over no values: never true, inverted or not it is what Unleash does with a missing segment
// (the strategy never matches).
const MISSING_SEGMENT: UnleashConstraint = { contextName: "rollgate.missingSegment", operator: "IN", values: [] };

// Unleash SDKs read `values` of every list operator (a missing list throws in unleash-client).
const constraintOut = (c: Constraint): UnleashConstraint =>
  LIST_OPERATORS.has(c.operator) ? { ...c, values: [...(c.values ?? [])] } : { ...c };
const variantOut = (v: VariantDefinition): UnleashVariant => ({
  ...v,
  ...(v.overrides ? { overrides: v.overrides.map((o) => ({ ...o })) } : {}),
});

/** A Rollgate strategy as `flexibleRollout`, its segments' constraints inlined after its own. */
function strategyOut(s: Strategy, segments: Readonly<Record<string, Segment>>): UnleashClientStrategy {
  const constraints = s.constraints.map(constraintOut);
  for (const id of s.segments) {
    const segment = segments[String(id)];
    if (segment) constraints.push(...segment.constraints.map(constraintOut));
    else constraints.push(MISSING_SEGMENT);
  }
  return {
    name: "flexibleRollout",
    parameters: { rollout: String(s.rollout), stickiness: s.stickiness || "default", groupId: s.groupId },
    constraints,
    ...(s.variants.length ? { variants: s.variants.map(variantOut) } : {}),
  };
}

/**
 * A Rollgate flag expressed in the strategies every Unleash SDK implements, so that an Unleash SDK
 * answers exactly as Rollgate's evaluator does (tests/unit/targeting-unleash-client.test.ts checks it
 * on every specification case with the real unleash-client; tests/integration/unleash-client.test.ts
 * over HTTP):
 * - killed or disabled → a disabled feature;
 * - dependencies → Unleash's `dependencies` (one level, as both evaluate them);
 * - the allowlist → `userWithId` first (a feature is on when any strategy says so);
 * - each strategy → `flexibleRollout` with its percentage, stickiness and group, its constraints and
 *   its segments' constraints (inlined, so every SDK version reads them), and its variants;
 * - each of the live rollout phase's segments → one more `flexibleRollout` at 100 % with its constraints;
 * - the staged rollout's percentage last: 100 % → `default` (on for everyone, with or without a user
 *   id, like Rollgate's STATIC); otherwise `flexibleRollout` with `userId` stickiness in the flag's
 *   bucketing group (Unleash's normalizedHash(groupId:userId) is Rollgate's bucket; without a user id
 *   it is off, where Rollgate answers TARGETING_KEY_MISSING, whose default is off). A 0 % rollout is
 *   left out when other strategies are there; alone it is sent, since a feature without strategies is
 *   on in Unleash.
 * - the flag's variants, with payloads and overrides.
 * Allowlist entries with a comma or surrounding spaces cannot be written into `userIds` (Unleash
 * splits on commas and trims); they are left out, and the README says so.
 */
export function toUnleashFeature(flag: CompiledFlag, segments: Readonly<Record<string, Segment>> = {}): UnleashFeature {
  const { rule } = flag;
  const targeting = flag.targeting ? rule.targeting : undefined;
  const strategies: UnleashClientStrategy[] = [];
  const userIds = rule.allowlist.filter((id) => id !== "" && !id.includes(",") && id.trim() === id);
  if (userIds.length) strategies.push({ name: "userWithId", parameters: { userIds: userIds.join(",") }, constraints: [] });
  for (const s of targeting?.strategies ?? []) strategies.push(strategyOut(s, segments));
  for (const id of rule.rolloutSegments ?? []) strategies.push(strategyOut(rolloutAudienceStrategy(id, flag.groupId), segments));
  if (rule.rolloutPercent >= 100) strategies.push({ name: "default", parameters: {}, constraints: [] });
  else if (rule.rolloutPercent > 0 || strategies.length === 0)
    strategies.push({
      name: "flexibleRollout",
      parameters: { rollout: String(Math.max(0, rule.rolloutPercent)), stickiness: "userId", groupId: flag.groupId },
      constraints: [],
    });
  return {
    name: flag.key,
    enabled: rule.enabled && !rule.killed,
    type: "release",
    project: "default",
    stale: false,
    impressionData: false,
    strategies,
    variants: (targeting?.variants ?? []).map(variantOut),
    ...(targeting?.dependencies.length ? { dependencies: targeting.dependencies.map((d) => ({ ...d })) } : {}),
  };
}

export function toUnleashFeatures(snapshot: CompiledSnapshot) {
  return {
    version: 2,
    features: [...snapshot.flags.values()].map((f) => toUnleashFeature(f, snapshot.segments)),
    query: { environment: snapshot.environment },
    meta: { revisionId: snapshot.version, etag: unleashEtag(snapshot) },
  };
}

export const unleashEtag = (snapshot: CompiledSnapshot) => `"rollgate:${snapshot.environment}:${snapshot.version}"`;
