import { compileFlag, ruleSegmentIds, type CompiledFlag, type EvaluationEnv, type FlagRule, type Sources } from "./evaluation";
import { stableStringify } from "./stable-json";
import type { Segment } from "./targeting/model";

/** What `GET /api/v1/stream` sends first: one environment's whole configuration at one version. */
export interface ConfigSnapshot {
  environment: string;
  version: number;
  flags: Record<string, FlagRule>;
  /** Every segment a flag of this environment refers to, by id (as a string, JSON's key type). */
  segments?: Record<string, Segment>;
}

/**
 * What the stream sends after the snapshot: the flags that changed between two configuration
 * versions. It applies only to a client holding exactly `from`; any other version means a change
 * was missed, and the client needs a snapshot instead.
 */
export interface ConfigPatch {
  environment: string;
  from: number;
  version: number;
  /** Added or changed flags, each with its whole new rule. */
  flags: Record<string, FlagRule>;
  /** Flags that left the environment (archived, deleted, no state there any more). */
  removed: string[];
  /** Segments added or changed since `from`; flags that refer to them are recompiled. */
  segments?: Record<string, Segment>;
}

export interface CompiledSnapshot {
  readonly environment: string;
  readonly version: number;
  readonly flags: ReadonlyMap<string, CompiledFlag>;
  /** The segments the flags use, by id; sent with the snapshot (absent from its JSON when there are none). */
  readonly segments: Readonly<Record<string, Segment>>;
  /**
   * The snapshot as the stream sends it. Serialised on first use and then shared: with deltas most
   * versions are never sent whole, and stringifying 10,000 flags per change would cost more than the
   * change itself.
   */
  readonly json: string;
}

function compiled(
  environment: string,
  version: number,
  flags: ReadonlyMap<string, CompiledFlag>,
  segments: Readonly<Record<string, Segment>>,
): CompiledSnapshot {
  let json: string | undefined;
  return Object.freeze({
    environment,
    version,
    flags,
    segments,
    get json() {
      if (json === undefined) {
        const wire: ConfigSnapshot = { environment, version, flags: {} };
        for (const [key, flag] of flags) wire.flags[key] = flag.rule;
        if (Object.keys(segments).length) wire.segments = { ...segments };
        json = JSON.stringify(wire);
      }
      return json;
    },
  });
}

export function compileSnapshot(snapshot: ConfigSnapshot): CompiledSnapshot {
  const segments = snapshot.segments ?? {};
  const flags = new Map<string, CompiledFlag>();
  for (const [key, rule] of Object.entries(snapshot.flags)) flags.set(key, compileFlag(key, rule, segments));
  return compiled(snapshot.environment, snapshot.version, flags, Object.freeze({ ...segments }));
}

/**
 * What `evaluateWithContext` needs from a snapshot: its flags (for dependencies) and the caller's
 * sources of chance and time. Made once per snapshot, not per evaluation.
 */
export function snapshotEnv(snapshot: CompiledSnapshot, sources: Sources): EvaluationEnv {
  const { flags } = snapshot;
  return { flag: (key) => flags.get(key), random: sources.random, now: sources.now };
}

/**
 * The snapshot after `patch`: a new object, so readers of the old one never see a half-applied
 * change. Only the changed flags are compiled; the others are shared with `current`. The caller
 * checks continuity (`patch.from === current.version`).
 */
export function applyPatch(current: CompiledSnapshot, patch: ConfigPatch): CompiledSnapshot {
  const changed = new Set(Object.keys(patch.segments ?? {}).map(Number));
  // A segment no flag uses any more stays until the next whole snapshot: harmless, and cheaper than looking.
  const segments = changed.size ? Object.freeze({ ...current.segments, ...patch.segments }) : current.segments;
  const flags = new Map(current.flags);
  for (const key of patch.removed) flags.delete(key);
  // A flag using a changed segment is compiled again, with the new segment.
  if (changed.size) {
    for (const [key, flag] of flags) {
      if (ruleSegmentIds(flag.rule).some((id) => changed.has(id))) flags.set(key, compileFlag(key, flag.rule, segments));
    }
  }
  for (const [key, rule] of Object.entries(patch.flags)) flags.set(key, compileFlag(key, rule, segments));
  return compiled(current.environment, patch.version, flags, segments);
}

// Adding a field to FlagRule fails to compile here until `sameRule` compares it too: a field the
// comparison missed would be a change no patch carries.
const RULE_FIELDS = {
  enabled: "value",
  killed: "value",
  rolloutPercent: "value",
  groupId: "value",
  version: "value",
  allowlist: "list",
  targeting: "json",
  rolloutSegments: "json",
} as const satisfies Record<keyof FlagRule, "value" | "list" | "json">;
const FIELD_ENTRIES = Object.entries(RULE_FIELDS) as [keyof FlagRule, "value" | "list" | "json"][];

export function sameRule(a: FlagRule, b: FlagRule): boolean {
  if (a === b) return true;
  for (const [field, kind] of FIELD_ENTRIES) {
    if (kind === "value") {
      if (a[field] !== b[field]) return false;
      continue;
    }
    if (kind === "json") {
      if (a[field] !== b[field] && stableStringify(a[field]) !== stableStringify(b[field])) return false;
      continue;
    }
    const x = a[field] as readonly string[];
    const y = b[field] as readonly string[];
    if (x.length !== y.length || x.some((v, i) => v !== y[i])) return false;
  }
  return true;
}

/**
 * The patch that turns `current` into `next` (a full reload), naming only the flags and segments
 * that differ, and with a changed segment every flag that uses it.
 */
export function diffSnapshot(current: CompiledSnapshot, next: ConfigSnapshot): ConfigPatch {
  const flags: Record<string, FlagRule> = {};
  const removed: string[] = [];
  const segments: Record<string, Segment> = {};
  for (const [id, segment] of Object.entries(next.segments ?? {})) {
    const had = current.segments[id];
    if (!had || stableStringify(had) !== stableStringify(segment)) segments[id] = segment;
  }
  const changed = new Set(Object.values(segments).map((s) => s.id));
  for (const [key, rule] of Object.entries(next.flags)) {
    const had = current.flags.get(key);
    const usesChanged = changed.size > 0 && ruleSegmentIds(rule).some((id) => changed.has(id));
    if (!had || usesChanged || !sameRule(had.rule, rule)) flags[key] = rule;
  }
  for (const key of current.flags.keys()) if (!Object.hasOwn(next.flags, key)) removed.push(key);
  const patch: ConfigPatch = { environment: next.environment, from: current.version, version: next.version, flags, removed };
  if (changed.size) patch.segments = segments;
  return patch;
}
