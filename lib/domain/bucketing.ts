import { murmur3Joined } from "./targeting/murmur3";

/**
 * Unleash's `normalizedHash`: a stable bucket in 1..100 for a (group, user) pair. A user is in a
 * rollout at p % when `bucket <= p`, so widening the rollout only ever adds users.
 */
export function bucketOf(groupId: string, targetingKey: string): number {
  return (murmur3Joined(groupId, targetingKey, 0) % 100) + 1;
}
