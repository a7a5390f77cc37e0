/**
 * Deciding, flag by flag and environment by environment, what Rollgate state reproduces an Unleash
 * flag exactly (read by unleash-import.ts). Pure: no database, so every mapping rule is unit-testable.
 */
import type { Strategy, Targeting } from "./targeting/model";
import type { UnleashFlag, UnleashStrategy } from "./unleash-import";
import { mapStrategy, mapVariants, type MappedSegment } from "./unleash-strategies";

export interface MappedState {
  enabled: boolean;
  rolloutPercent: number;
  allowlist: string[];
  /**
   * Strategies, variants and dependencies, when the plain rollout above cannot say it alone. Segment
   * ids are Unleash's (the importer creates the segments of `readUnleashSegments` and renumbers them);
   * dependencies name Unleash features (each must be imported exactly too: `dependencyProblems`).
   */
  targeting?: Targeting;
}

export interface MappedFlag {
  key: string;
  description: string;
  bucketGroup: string;
  /** Per Unleash environment: Rollgate's state, and why it would not behave the same (empty: exact). */
  environments: Map<string, { state: MappedState; problems: string[] }>;
  /** Problems that hold in every environment (dependencies, several bucketing groups). */
  problems: string[];
  /** Unleash's project as the owner; null for its catch-all "default" project, which says nobody. */
  owner: string | null;
  /** The tags as Rollgate slugs, at most 20. */
  tags: string[];
}

/** As many tags as flags.tags holds (lib/flags/flag-catalog-schemas.ts MAX_TAGS; the domain has no imports from lib/flags). */
const MAX_IMPORTED_TAGS = 20;

/** An Unleash tag value as a Rollgate tag: lowercase, runs of other characters as one '-', ≤ 40. */
export function unleashTagSlug(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 40)
    .replace(/-+$/, "");
}

/** The most entries a Rollgate allowlist holds (the `allowlist` limit in lib/flags/flag-schemas.ts). */
const MAX_ALLOWLIST = 1000;

/** The plain rollout an environment's strategies amount to, when they amount to one exactly. */
interface Plain {
  rolloutPercent: number;
  allowlist: string[];
  /** The bucketing group the percentage needs (null: none, 0 % or 100 %). */
  group: string | null;
}

/**
 * Strategies a plain rollout reproduces: on for everyone; `userId IN (…)` (the allowlist); and one
 * user-sticky percentage below 100 % in a named group (Rollgate's bucket). Anything else (constraints,
 * segments, variants, other stickiness, two percentages) needs the targeting.
 */
function plainOf(strategies: Strategy[]): Plain | null {
  const allowlist: string[] = [];
  let percent: { p: number; group: string } | null = null;
  if (strategies.some((s) => s.variants.length)) return null;
  const everyone = (s: Strategy) => s.rollout >= 100 && (s.stickiness === "default" || s.stickiness === "random");
  if (strategies.some((s) => everyone(s) && !s.constraints.length && !s.segments.length)) {
    return { rolloutPercent: 100, allowlist: [], group: null };
  }
  for (const s of strategies) {
    if (s.rollout <= 0) continue; // never matches
    if (s.segments.length) return null;
    const [c, ...more] = s.constraints;
    if (everyone(s) && c && !more.length && c.contextName === "userId" && c.operator === "IN" && !c.inverted) {
      allowlist.push(...(c.values ?? []).filter(Boolean).map((v) => v.trim()));
      continue;
    }
    if (c || s.stickiness !== "userId" || s.rollout >= 100 || !s.groupId) return null;
    if (percent && (percent.p !== s.rollout || percent.group !== s.groupId)) return null;
    percent = { p: s.rollout, group: s.groupId };
  }
  const users = [...new Set(allowlist)];
  if (users.length > MAX_ALLOWLIST) return null;
  return { rolloutPercent: percent?.p ?? 0, allowlist: users, group: percent?.group ?? null };
}

/** What a targeting holds, in a few words, for a problem's message. */
function targetingSummary(t: Targeting): string {
  const parts: string[] = [];
  if (t.strategies.length) parts.push(`${t.strategies.length} ${t.strategies.length === 1 ? "strategy" : "strategies"}`);
  if (t.variants.length || t.strategies.some((s) => s.variants.length)) parts.push("variants");
  if (t.dependencies.length) parts.push("dependencies");
  return parts.join(", ");
}

/** One environment: Rollgate strategies for the active Unleash ones, the variants, the parents. */
function mapEnvironment(
  flag: UnleashFlag,
  e: { enabled: boolean; strategies: UnleashStrategy[]; variants: unknown[] },
  segments: ReadonlyMap<number, MappedSegment> | null,
) {
  const problems: string[] = [];
  const active = e.strategies.filter((s) => !s.disabled);
  const strategies: Strategy[] = [];
  for (const s of active) {
    const mapped = mapStrategy(s, segments);
    strategies.push(...mapped.value);
    problems.push(...mapped.problems);
  }
  const variants = mapVariants(e.variants);
  problems.push(...variants.problems);
  const targeting: Targeting = { strategies, variants: variants.value, dependencies: flag.parents };
  return { problems, targeting, noStrategies: active.length === 0 };
}

/**
 * What Rollgate state behaves as this Unleash flag does, environment by environment, for Rollgate's
 * evaluator (lib/domain/targeting) and so for every Unleash SDK reading Rollgate's client API. What
 * cannot be reproduced exactly is named in `problems` (the importer then imports it disabled).
 */
export interface MapOptions {
  /** The export's global segments (`readUnleashSegments`); without them a strategy using one is a problem. */
  segments?: ReadonlyMap<number, MappedSegment>;
  /**
   * Whether the caller stores `state.targeting`. Without it, an environment that needs targeting is
   * named as a problem ("needs targeting rules"), so it is imported disabled rather than without its
   * rules: an importer that predates targeting never imports a flag that answers differently.
   */
  storesTargeting?: boolean;
}

export function mapUnleashFlag(flag: UnleashFlag, options: MapOptions = {}): MappedFlag {
  const segments = options.segments ?? null;
  const problems: string[] = [];
  const environments = new Map<string, { state: MappedState; problems: string[] }>();
  let bucketGroup: string | null = null;
  for (const [env, e] of flag.environments) {
    const { problems: envProblems, targeting, noStrategies } = mapEnvironment(flag, e, segments);
    // An enabled feature without (active) strategies is on for everyone, its variants served.
    const base = { enabled: e.enabled, rolloutPercent: noStrategies ? 100 : 0, allowlist: [] as string[] };
    const plain = noStrategies ? null : plainOf(targeting.strategies);
    const plainFits =
      plain &&
      !targeting.variants.length &&
      !targeting.dependencies.length &&
      (!plain.group || (bucketGroup ?? plain.group) === plain.group);
    let state: MappedState;
    if (plainFits) {
      if (plain.group) bucketGroup = plain.group;
      state = { enabled: e.enabled, rolloutPercent: plain.rolloutPercent, allowlist: plain.allowlist };
    } else if (targeting.strategies.length || targeting.variants.length || targeting.dependencies.length) {
      state = { ...base, targeting };
      if (!options.storesTargeting)
        envProblems.push(`needs targeting rules (${targetingSummary(targeting)}), which this import does not store`);
    } else state = base;
    environments.set(env, { state, problems: envProblems });
  }
  const tags = [...new Set(flag.tags.map(unleashTagSlug).filter(Boolean))];
  if (tags.length > MAX_IMPORTED_TAGS) problems.push(`${tags.length} tags; a Rollgate flag keeps ${MAX_IMPORTED_TAGS}`);
  const project = flag.project?.trim().slice(0, 100) || null;
  return {
    key: flag.name,
    description: flag.description,
    bucketGroup: bucketGroup ?? flag.name,
    environments,
    problems,
    owner: project === "default" ? null : project,
    tags: tags.slice(0, MAX_IMPORTED_TAGS),
  };
}

/**
 * A dependency is reproduced only when its parent is too: a parent in the export that is imported
 * with problems (so disabled) would turn the child off where Unleash has it on. Returns, by flag key
 * and environment, the problems to add. (A parent missing from the export is missing in Unleash too:
 * the dependency is unmet in both.)
 */
export function dependencyProblems(flags: readonly MappedFlag[]): Map<string, Map<string, string[]>> {
  const byKey = new Map(flags.map((f) => [f.key, f]));
  const out = new Map<string, Map<string, string[]>>();
  for (const flag of flags) {
    for (const [env, e] of flag.environments) {
      for (const d of e.state.targeting?.dependencies ?? []) {
        const parent = byKey.get(d.feature);
        if (!parent) continue;
        const parentEnv = parent.environments.get(env);
        if (parentEnv && !parent.problems.length && !parentEnv.problems.length) continue;
        if (!out.has(flag.key)) out.set(flag.key, new Map());
        const envs = out.get(flag.key)!;
        envs.set(env, [...(envs.get(env) ?? []), `depends on '${d.feature}', which is not imported exactly`]);
      }
    }
  }
  return out;
}
