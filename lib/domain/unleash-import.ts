/**
 * Reading an Unleash export and deciding, flag by flag and environment by environment, what Rollgate
 * state reproduces it exactly. Pure: no database, so every mapping rule is unit-testable.
 *
 * Two export shapes are read:
 * - the feature export (Unleash 5+: `features`, `featureStrategies`, `featureEnvironments`,
 *   `segments`, `dependencies`), strategies per environment;
 * - the older state export (`{ version, features: [{ name, enabled, strategies }] }`), one implicit
 *   environment, named "default".
 */

export interface UnleashStrategy {
  name: string;
  parameters: Record<string, unknown>;
  constraints: unknown[];
  segments: unknown[];
  variants: unknown[];
  disabled: boolean;
}

export interface UnleashFlag {
  name: string;
  description: string;
  archived: boolean;
  dependencies: number;
  /** Unleash's project, if the export says. */
  project: string | null;
  /** Tag values from the export's featureTags. */
  tags: string[];
  environments: Map<string, { enabled: boolean; strategies: UnleashStrategy[]; variants: unknown[] }>;
}

export interface MappedState {
  enabled: boolean;
  rolloutPercent: number;
  allowlist: string[];
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

const asRecord = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const asString = (v: unknown): string | undefined => (typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined);

function strategyOf(raw: unknown): UnleashStrategy {
  const s = asRecord(raw);
  return {
    name: asString(s.name) ?? "",
    parameters: asRecord(s.parameters),
    constraints: asArray(s.constraints),
    segments: asArray(s.segments),
    variants: asArray(s.variants),
    disabled: s.disabled === true,
  };
}

/** The largest export `POST /api/v1/import/unleash` (and so the dashboard's upload) takes, in bytes. */
export const MAX_UNLEASH_EXPORT_BYTES = 10_000_000;

/**
 * Throws an Error with a readable message when the document is neither export shape, or names a
 * feature twice (which of the two to import would be a guess).
 */
export function readUnleashExport(doc: unknown): UnleashFlag[] {
  const root = asRecord(doc);
  const features = asArray(root.features);
  if (!Array.isArray(root.features)) throw new Error("not an Unleash export: there is no `features` list");
  const flags = new Map<string, UnleashFlag>();
  const isStateExport = features.some((f) => Array.isArray(asRecord(f).strategies)) && !Array.isArray(root.featureStrategies);
  for (const raw of features) {
    const f = asRecord(raw);
    const name = asString(f.name);
    if (!name) throw new Error("not an Unleash export: a feature has no name");
    if (flags.has(name)) throw new Error(`the export names the feature '${name}' more than once`);
    flags.set(name, {
      name,
      description: asString(f.description) ?? "",
      archived: f.archived === true || f.archivedAt != null,
      dependencies: asArray(f.dependencies).length,
      project: asString(f.project) ?? null,
      tags: [],
      environments: new Map(),
    });
    if (isStateExport) {
      flags.get(name)!.environments.set("default", {
        enabled: f.enabled === true,
        strategies: asArray(f.strategies).map(strategyOf),
        variants: asArray(f.variants),
      });
    }
  }
  // Both export shapes list tags beside the features: { featureName, tagType, tagValue } (or an older
  // { featureName, tag: { type, value } }).
  for (const raw of asArray(root.featureTags)) {
    const t = asRecord(raw);
    const value = asString(t.tagValue) ?? asString(asRecord(t.tag).value);
    const flag = flags.get(asString(t.featureName) ?? "");
    if (flag && value) flag.tags.push(value);
  }
  if (!isStateExport) {
    for (const raw of asArray(root.featureEnvironments)) {
      const e = asRecord(raw);
      const flag = flags.get(asString(e.featureName) ?? asString(e.name) ?? "");
      const env = asString(e.environment);
      if (!flag || !env) continue;
      flag.environments.set(env, { enabled: e.enabled === true, strategies: [], variants: asArray(e.variants) });
    }
    for (const raw of asArray(root.featureStrategies)) {
      const s = asRecord(raw);
      const flag = flags.get(asString(s.featureName) ?? "");
      const env = asString(s.environment);
      if (!flag || !env) continue;
      let target = flag.environments.get(env);
      if (!target) flag.environments.set(env, (target = { enabled: false, strategies: [], variants: [] }));
      target.strategies.push(strategyOf(s));
    }
    for (const raw of asArray(root.dependencies)) {
      const d = asRecord(raw);
      const flag = flags.get(asString(d.feature) ?? asString(d.child) ?? "");
      if (flag) flag.dependencies += Math.max(1, asArray(d.dependencies).length);
    }
  }
  return [...flags.values()];
}

/** The Unleash environments an export has flags in, sorted (the state export's one is "default"). */
export function unleashEnvironments(flags: UnleashFlag[]): string[] {
  return [...new Set(flags.flatMap((f) => [...f.environments.keys()]))].sort();
}

const STICKY_ROLLOUTS = new Set(["flexibleRollout", "gradualRolloutUserId", "gradualRolloutSessionId"]);
/** The most entries a Rollgate allowlist holds (the `allowlist` limit in lib/flags/flag-schemas.ts). */
const MAX_ALLOWLIST = 1000;

/**
 * What Rollgate state behaves as this Unleash flag does for a targeting key that is the user id (or
 * the session id, for session stickiness). Anything Rollgate cannot reproduce is named in `problems`.
 */
export function mapUnleashFlag(flag: UnleashFlag): MappedFlag {
  const problems: string[] = [];
  if (flag.dependencies > 0) problems.push("depends on other features (Rollgate has no dependencies)");
  const groups = new Set<string>();
  const environments = new Map<string, { state: MappedState; problems: string[] }>();
  for (const [env, e] of flag.environments) {
    const envProblems: string[] = [];
    const active = e.strategies.filter((s) => !s.disabled);
    if (e.variants.length) envProblems.push("variants (Rollgate flags are on/off)");
    let everyone = active.length === 0; // an enabled feature without strategies is on for everyone
    let percent: number | null = null;
    const allowlist: string[] = [];
    for (const s of active) {
      if (s.constraints.length) envProblems.push(`constraints on ${s.name}`);
      if (s.segments.length) envProblems.push(`segments on ${s.name}`);
      if (s.variants.length) envProblems.push(`strategy variants on ${s.name}`);
      if (s.name === "default") everyone = true;
      else if (s.name === "userWithId") {
        allowlist.push(
          ...String(s.parameters.userIds ?? "")
            .split(",")
            .map((id) => id.trim())
            .filter(Boolean),
        );
      } else if (STICKY_ROLLOUTS.has(s.name)) {
        const stickiness = asString(s.parameters.stickiness) ?? "default";
        if (s.name === "flexibleRollout" && !["default", "userId", "sessionId"].includes(stickiness)) {
          envProblems.push(`custom stickiness '${stickiness}'`);
        }
        const value = Number(asString(s.name === "flexibleRollout" ? s.parameters.rollout : s.parameters.percentage));
        if (!Number.isInteger(value) || value < 0 || value > 100) {
          envProblems.push(`${s.name} with a rollout of '${String(s.parameters.rollout ?? s.parameters.percentage)}'`);
          continue;
        }
        // Unleash needs the sticky id even at 100 % (random fallback only for "default" stickiness);
        // Rollgate's 100 % serves everyone, with or without a targeting key.
        if (value === 100 && !(s.name === "flexibleRollout" && stickiness === "default")) {
          envProblems.push(
            `${s.name} at 100 % is off in Unleash without a ${stickiness === "sessionId" || s.name === "gradualRolloutSessionId" ? "session" : "user"} id, on in Rollgate`,
          );
        }
        if (percent !== null && percent !== value && !envProblems.includes("several percentage rollouts")) {
          envProblems.push("several percentage rollouts");
        }
        percent = Math.max(percent ?? 0, value);
        groups.add(asString(s.parameters.groupId) || flag.name);
      } else envProblems.push(`the ${s.name || "unnamed"} strategy`);
    }
    const users = [...new Set(allowlist)];
    if (users.length > MAX_ALLOWLIST)
      envProblems.push(`userWithId lists ${users.length} users; a Rollgate allowlist holds ${MAX_ALLOWLIST}`);
    environments.set(env, {
      state: { enabled: e.enabled, rolloutPercent: everyone ? 100 : (percent ?? 0), allowlist: users.slice(0, MAX_ALLOWLIST) },
      problems: envProblems,
    });
  }
  if (groups.size > 1) problems.push(`rollouts bucket by several groups (${[...groups].join(", ")})`);
  const tags = [...new Set(flag.tags.map(unleashTagSlug).filter(Boolean))];
  if (tags.length > MAX_IMPORTED_TAGS) problems.push(`${tags.length} tags; a Rollgate flag keeps ${MAX_IMPORTED_TAGS}`);
  const project = flag.project?.trim().slice(0, 100) || null;
  return {
    key: flag.name,
    description: flag.description,
    bucketGroup: [...groups][0] ?? flag.name,
    environments,
    problems,
    owner: project === "default" ? null : project,
    tags: tags.slice(0, MAX_IMPORTED_TAGS),
  };
}
