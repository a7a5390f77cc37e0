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
