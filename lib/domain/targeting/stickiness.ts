import { fieldReader } from "./context";
import { murmur3Joined } from "./murmur3";
import type { TargetingContext } from "./model";
import type { Sources } from "./operators";

/** Unleash's normalizedHash: murmur3 of "group:id" (seed 0 for rollouts, 86028157 for variants), 1..normalizer. */
export const normalizedHash = (groupId: string, id: string, normalizer: number, seed: number) =>
  (murmur3Joined(groupId, id, seed) % normalizer) + 1;
export const VARIANT_SEED = 86028157;

/** 1..100 for the subject (0: no sticky value, never in the rollout). */
export type RolloutBucket = (context: TargetingContext, sources: Sources) => number;
/** Whether the subject is inside a strategy's percentage. */
export type RolloutCheck = (context: TargetingContext, sources: Sources) => boolean;

const randomBucket = (s: Sources, n: number) => Math.floor(s.random() * n) + 1;

/** What "default" stickiness buckets a strategy's percentage by; without it, a draw. */
export const defaultRolloutId = (c: TargetingContext): string | undefined => c.userId || c.sessionId;

/**
 * A strategy's percentage with its stickiness, as Unleash's flexibleRollout: "default" is the user
 * id, else the session id, else a random draw; "random" is a draw; any other name is that context
 * field, and without it the subject is outside. 0 % is no one; 100 % everyone with a sticky value.
 */
export function rolloutCheck(rollout: number, stickiness: string, groupId: string): RolloutCheck {
  if (!(rollout > 0)) return () => false;
  if (stickiness === "random") return rollout >= 100 ? () => true : (_c, s) => randomBucket(s, 100) <= rollout;
  if (stickiness === "default" || stickiness === "") {
    if (rollout >= 100) return () => true;
    return (c, s) => {
      const id = defaultRolloutId(c);
      return (id ? normalizedHash(groupId, id, 100, 0) : randomBucket(s, 100)) <= rollout;
    };
  }
  const read = fieldReader(stickiness);
  if (rollout >= 100) return (c) => !!read(c);
  return (c) => {
    const id = read(c);
    return !!id && normalizedHash(groupId, id, 100, 0) <= rollout;
  };
}

/** The value a variant is picked by (Unleash's getSeed), or undefined for a random pick. */
export function variantSeed(stickiness: string | undefined): (c: TargetingContext) => string | undefined {
  if (stickiness && stickiness !== "default") {
    const read = fieldReader(stickiness);
    return (c) => read(c) || undefined;
  }
  return (c) => c.userId || c.sessionId || c.remoteAddress || undefined;
}

export const variantTarget = (seed: string | undefined, groupId: string, total: number, s: Sources) =>
  seed === undefined ? randomBucket(s, total) : normalizedHash(groupId, seed, total, VARIANT_SEED);
