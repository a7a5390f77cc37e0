/**
 * Reading an Unleash export; unleash-mapping.ts decides, flag by flag and environment by environment,
 * what Rollgate state reproduces it exactly (re-exported here). Pure: no database.
 *
 * Two export shapes are read:
 * - the feature export (Unleash 5+: `features`, `featureStrategies`, `featureEnvironments`,
 *   `segments`, `dependencies`), strategies per environment;
 * - the older state export (`{ version, features: [{ name, enabled, strategies }] }`), one implicit
 *   environment, named "default".
 */
import type { Dependency } from "./targeting/model";
import { asArray, asRecord, asString } from "./unleash-strategies";

export { readUnleashSegments, type MappedSegment } from "./unleash-strategies";
export { dependencyProblems, mapUnleashFlag, unleashTagSlug, type MapOptions, type MappedFlag, type MappedState } from "./unleash-mapping";

export interface UnleashStrategy {
  name: string;
  title?: string;
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
  /** The parents this feature depends on, as Unleash's client API lists them. */
  parents: Dependency[];
  /** Unleash's project, if the export says. */
  project: string | null;
  /** Tag values from the export's featureTags. */
  tags: string[];
  environments: Map<string, { enabled: boolean; strategies: UnleashStrategy[]; variants: unknown[] }>;
}

function parentsOf(raw: unknown): Dependency[] {
  return asArray(raw).flatMap((r) => {
    const d = asRecord(r);
    const feature = asString(d.feature);
    if (!feature) return [];
    const out: Dependency = { feature };
    if (d.enabled === false) out.enabled = false;
    if (Array.isArray(d.variants)) out.variants = d.variants.filter((v): v is string => typeof v === "string");
    return [out];
  });
}

function strategyOf(raw: unknown): UnleashStrategy {
  const s = asRecord(raw);
  return {
    name: asString(s.name) ?? "",
    parameters: asRecord(s.parameters),
    constraints: asArray(s.constraints),
    segments: asArray(s.segments),
    variants: asArray(s.variants),
    disabled: s.disabled === true,
    ...(typeof s.title === "string" && s.title ? { title: s.title } : {}),
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
      parents: parentsOf(f.dependencies),
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
      if (!flag) continue;
      flag.dependencies += Math.max(1, asArray(d.dependencies).length);
      flag.parents.push(...parentsOf(d.dependencies));
    }
  }
  return [...flags.values()];
}

/** The Unleash environments an export has flags in, sorted (the state export's one is "default"). */
export function unleashEnvironments(flags: UnleashFlag[]): string[] {
  return [...new Set(flags.flatMap((f) => [...f.environments.keys()]))].sort();
}
