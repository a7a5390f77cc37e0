import { compileFlag, type CompiledFlag, type FlagRule } from "./evaluation";

/** What `GET /api/v1/stream` sends: one environment's whole configuration at one version. */
export interface ConfigSnapshot {
  environment: string;
  version: number;
  flags: Record<string, FlagRule>;
}

export interface CompiledSnapshot {
  environment: string;
  version: number;
  flags: ReadonlyMap<string, CompiledFlag>;
  /** The snapshot as sent on the stream, serialised once per version rather than per subscriber. */
  json: string;
}

export function compileSnapshot(snapshot: ConfigSnapshot): CompiledSnapshot {
  const flags = new Map<string, CompiledFlag>();
  for (const [key, rule] of Object.entries(snapshot.flags)) flags.set(key, compileFlag(key, rule));
  return { environment: snapshot.environment, version: snapshot.version, flags, json: JSON.stringify(snapshot) };
}

/**
 * The snapshot after one flag changed: a new object (readers of the old one never see a half-applied
 * change), the rule replaced, added, or removed when `rule` is null.
 */
export function patchSnapshot(current: CompiledSnapshot, version: number, key: string, rule: FlagRule | null): CompiledSnapshot {
  const flags = new Map(current.flags);
  if (rule) flags.set(key, compileFlag(key, rule));
  else flags.delete(key);
  const wire: ConfigSnapshot = { environment: current.environment, version, flags: {} };
  for (const [k, f] of flags) wire.flags[k] = f.rule;
  return { environment: current.environment, version, flags, json: JSON.stringify(wire) };
}
