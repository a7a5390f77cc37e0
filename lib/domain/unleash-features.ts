import type { CompiledSnapshot } from "./config-snapshot";
import type { CompiledFlag } from "./evaluation";

/** A feature as Unleash's client API (`GET /api/client/features`, version 2) describes it. */
export interface UnleashFeature {
  name: string;
  enabled: boolean;
  type: "release";
  project: "default";
  stale: false;
  impressionData: false;
  strategies: { name: string; parameters: Record<string, string>; constraints: [] }[];
  variants: [];
}

/**
 * A Rollgate flag expressed in the strategies every Unleash SDK implements, so that an Unleash SDK
 * answers exactly as Rollgate's evaluation does (tests/integration/unleash-client.test.ts checks it
 * with the real unleash-client):
 * - killed or disabled → a disabled feature;
 * - the allowlist → `userWithId` (a feature is on when any strategy says so);
 * - 100 % → `default` (on for everyone, with or without a user id, like Rollgate's STATIC);
 * - otherwise `flexibleRollout` with Rollgate's percent, the flag's bucketing group as `groupId` and
 *   `userId` stickiness: Unleash's normalizedHash(groupId:userId) is Rollgate's bucket, and without a
 *   user id the strategy is off (Rollgate answers TARGETING_KEY_MISSING, whose default is off).
 * Allowlist entries with a comma or surrounding spaces cannot be written into `userIds` (Unleash
 * splits on commas and trims); they are left out, and the README says so.
 */
export function toUnleashFeature(flag: CompiledFlag): UnleashFeature {
  const { rule } = flag;
  const strategies: UnleashFeature["strategies"] = [];
  const userIds = rule.allowlist.filter((id) => id !== "" && !id.includes(",") && id.trim() === id);
  if (userIds.length) strategies.push({ name: "userWithId", parameters: { userIds: userIds.join(",") }, constraints: [] });
  if (rule.rolloutPercent >= 100) strategies.push({ name: "default", parameters: {}, constraints: [] });
  else
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
    variants: [],
  };
}

export function toUnleashFeatures(snapshot: CompiledSnapshot) {
  return {
    version: 2,
    features: [...snapshot.flags.values()].map(toUnleashFeature),
    query: { environment: snapshot.environment },
    meta: { revisionId: snapshot.version, etag: unleashEtag(snapshot) },
  };
}

export const unleashEtag = (snapshot: CompiledSnapshot) => `"rollgate:${snapshot.environment}:${snapshot.version}"`;
