import type { Targeting } from "../domain/targeting/model";

/** The shapes of API.md ("Flag", "FlagState"); also what the dashboard renders. */
export interface FlagStateDto {
  enabled: boolean;
  rolloutPercent: number;
  allowlist: string[];
  killed: boolean;
  version: number;
  updatedAt: string;
  /** Strategies, variants and dependencies; null when the plain rollout decides alone. */
  targeting: Targeting | null;
  /** Segment ids the live rollout phase serves besides the percentage and allowlist (set by the rollout). */
  rolloutSegments: number[];
}

export interface FlagDto {
  key: string;
  description: string;
  /** What users are bucketed by: the key unless the flag was created with another group. */
  bucketGroup: string;
  /** Share of raw events stored (0 … 100, default 0); the rollups count every event regardless. */
  rawEventSamplePercent: number;
  createdAt: string;
  /** Who answers for the flag (a team or person), or null. */
  owner: string | null;
  /** Lowercase slugs. */
  tags: string[];
  /** Of the settings above (description, owner, tags, sampling): send it back with an edit to be told of a newer save. */
  version: number;
  environments: Record<string, FlagStateDto>;
}

interface StateRow {
  environmentKey: string;
  enabled: boolean;
  rolloutPercent: number;
  allowlist: string[];
  killed: boolean;
  version: number;
  updatedAt: Date;
  /** Stored as validated by lib/targeting/targeting-schemas.ts. */
  targeting?: unknown;
  rolloutSegments?: number[];
}

export function toFlagStateDto(s: StateRow): FlagStateDto {
  return {
    enabled: s.enabled,
    rolloutPercent: s.rolloutPercent,
    allowlist: s.allowlist,
    killed: s.killed,
    version: s.version,
    updatedAt: s.updatedAt.toISOString(),
    targeting: (s.targeting ?? null) as Targeting | null,
    rolloutSegments: s.rolloutSegments ?? [],
  };
}

export function toFlagDto(
  flag: {
    key: string;
    description: string;
    createdAt: Date;
    bucketGroup?: string | null;
    rawEventSamplePercent?: number;
    owner?: string | null;
    tags?: string[];
    settingsVersion: number;
    states: StateRow[];
  },
  environmentOrder: string[],
): FlagDto {
  const byEnv = new Map(flag.states.map((s) => [s.environmentKey, s]));
  const environments: Record<string, FlagStateDto> = {};
  for (const env of environmentOrder) {
    const state = byEnv.get(env);
    if (state) environments[env] = toFlagStateDto(state);
  }
  return {
    key: flag.key,
    description: flag.description,
    bucketGroup: flag.bucketGroup ?? flag.key,
    rawEventSamplePercent: flag.rawEventSamplePercent ?? 0,
    createdAt: flag.createdAt.toISOString(),
    owner: flag.owner ?? null,
    tags: flag.tags ?? [],
    version: flag.settingsVersion,
    environments,
  };
}
