// The @unleash/client-specification cases, imported into Rollgate as the importer would (read the
// state as an Unleash export, map every flag, disable what has problems) and evaluated.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { compileSnapshot, snapshotEnv, type CompiledSnapshot } from "../../lib/domain/config-snapshot";
import { evaluateWithContext, type FlagRule } from "../../lib/domain/evaluation";
import type { Segment, TargetingContext } from "../../lib/domain/targeting/model";
import { dependencyProblems, mapUnleashFlag, readUnleashExport, readUnleashSegments } from "../../lib/domain/unleash-import";

const require = createRequire(import.meta.url);
export const SPEC_DIR = path.join(path.dirname(require.resolve("@unleash/client-specification/package.json")), "specifications");

export interface SpecCase {
  description: string;
  context: TargetingContext;
  toggleName: string;
  expectedResult: boolean | { name: string; enabled: boolean; feature_enabled: boolean; payload?: { type: string; value: string } };
}
export interface SpecFile {
  name: string;
  file: string;
  state: Record<string, unknown>;
  tests?: SpecCase[];
  variantTests?: SpecCase[];
}

export function specFiles(): SpecFile[] {
  const index = JSON.parse(readFileSync(path.join(SPEC_DIR, "index.json"), "utf8")) as string[];
  return index.map((file) => ({ file, ...(JSON.parse(readFileSync(path.join(SPEC_DIR, file), "utf8")) as Omit<SpecFile, "file">) }));
}

type Json = Record<string, unknown>;

/** The delta API's events (spec 19, 20) replayed into the client API's `{ features, segments }`. */
function replayEvents(events: Json[]): Json {
  const features = new Map<string, Json>();
  const segments = new Map<number, Json>();
  for (const e of events) {
    if (e.type === "hydration") {
      for (const f of e.features as Json[]) features.set(f.name as string, f);
      for (const s of (e.segments as Json[]) ?? []) segments.set(s.id as number, s);
    } else if (e.type === "feature-updated") features.set((e.feature as Json).name as string, e.feature as Json);
    else if (e.type === "feature-removed") features.delete(e.featureName as string);
    else if (e.type === "segment-updated") segments.set((e.segment as Json).id as number, e.segment as Json);
    else if (e.type === "segment-removed") segments.delete(e.segmentId as number);
  }
  return { version: 2, features: [...features.values()], segments: [...segments.values()] };
}

/** A spec state as the client API's features document (`{ version, features, segments }`). */
export const clientState = (state: Json): Json => (Array.isArray(state.events) ? replayEvents(state.events as Json[]) : state);

export interface ImportedSpec {
  snapshot: CompiledSnapshot;
  /** Problems by flag name (the flag is imported disabled when there is any). */
  problems: Map<string, string[]>;
}

/** Imports a spec state the way POST /api/v1/import/unleash would, into one Rollgate environment. */
export function importSpecState(state: Json): ImportedSpec {
  const doc = clientState(state);
  const segmentMap = readUnleashSegments(doc);
  const mapped = readUnleashExport(doc).map((f) => mapUnleashFlag(f, { segments: segmentMap, storesTargeting: true }));
  const depProblems = dependencyProblems(mapped);
  const flags: Record<string, FlagRule> = {};
  const problems = new Map<string, string[]>();
  for (const m of mapped) {
    const env = m.environments.get("default")!;
    const all = [...m.problems, ...env.problems, ...(depProblems.get(m.key)?.get("default") ?? [])];
    problems.set(m.key, all);
    const { targeting, ...plain } = env.state;
    flags[m.key] = {
      ...plain,
      enabled: plain.enabled && all.length === 0,
      killed: false,
      version: 1,
      ...(m.bucketGroup !== m.key ? { groupId: m.bucketGroup } : {}),
      ...(targeting ? { targeting } : {}),
    };
  }
  const segments: Record<string, Segment> = {};
  for (const [id, s] of segmentMap) segments[String(id)] = s.segment;
  return { snapshot: compileSnapshot({ environment: "default", version: 1, flags, segments }), problems };
}

/** A seeded draw, so that random stickiness is reproducible in tests. */
export function seededRandom(seed = 1): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** What Rollgate answers for a case, in the spec's terms (a boolean, or Unleash's variant shape). */
export function rollgateAnswer(imported: ImportedSpec, c: SpecCase, variant: boolean): unknown {
  const flag = imported.snapshot.flags.get(c.toggleName);
  const env = snapshotEnv(imported.snapshot, { random: seededRandom(), now: () => Date.parse("2024-06-01T00:00:00Z") });
  const r = flag ? evaluateWithContext(flag, c.context, env) : null;
  const on = !!r && "value" in r && r.value;
  if (!variant) return on;
  const named = r && "variant" in r && flag?.targeting?.multivariate && r.variant !== "disabled";
  if (!named) return { name: "disabled", enabled: false, feature_enabled: on };
  return {
    name: r.variant,
    ...(r.payload ? { payload: { type: r.payload.type, value: r.payload.raw } } : {}),
    enabled: true,
    feature_enabled: on,
  };
}
