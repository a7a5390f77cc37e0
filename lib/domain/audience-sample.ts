import { murmur3 } from "./murmur3";
import { bucketOf } from "./bucketing";
import { allOf, compileConstraint, type Matcher, type Sources } from "./targeting/operators";
import type { Segment, TargetingContext } from "./targeting/model";
import { isCleanText } from "./clean-text";

/**
 * Who was seen, so an audience can be sized before it is served ("Staff: ≈ 120 users seen last
 * week"). Every evaluator (the SDK, OFREP) keeps a bottom-k sample of the distinct users it sees: the
 * k users whose hash is smallest, with their context. Bottom-k samples merge exactly: the k smallest
 * of a union are among the k smallest of each part, so the server's sample of a day is the union of
 * what every SDK sent, trimmed to k, whatever the number of instances. Every distinct user has the
 * same chance to be in it however often they were evaluated, so the share of the sample a segment
 * matches estimates the share of all users it matches, and the k-th smallest hash estimates how many
 * users there were (k − 1 over its place in the hash range).
 *
 * The hash is its own (seeded), independent of both bucketing (seed 0 over "group:user") and the
 * subject sketches, so a rollout's `on` users are not the sample's.
 */
export const AUDIENCE_SAMPLE_SIZE = 4096;
const SEED = 0x2545f491;
const HASH_RANGE = 2 ** 32;

/** The user's place in the sample's hash order. */
export const audienceHash = (userId: string): number => murmur3(userId, SEED) >>> 0;

/** What a sampled context keeps (and the server accepts): the fields constraints read, bounded. */
export const AUDIENCE_CONTEXT_LIMITS = { maxProperties: 20, maxName: 100, maxValue: 200, maxField: 200 } as const;
const KEPT_FIELDS = ["sessionId", "remoteAddress", "appName"] as const;

export interface SampledUser {
  userId: string;
  hash: number;
  /** The context as evaluated, without the time and environment (the sample is per environment and day). */
  context: TargetingContext;
}

/**
 * The context as the sample keeps it: the user id, session, address, app name, and at most 20
 * properties of at most 200 characters each. A property past those limits, or with text the events
 * API refuses (control characters, line breaks: it would refuse the whole batch of users), is left
 * out rather than cut short or cleaned, so that no constraint matches a value the user never had.
 */
export function sampledContext(userId: string, context: TargetingContext): TargetingContext {
  const L = AUDIENCE_CONTEXT_LIMITS;
  const kept: TargetingContext = { userId };
  for (const field of KEPT_FIELDS) {
    const value = context[field];
    if (value !== undefined && value.length <= L.maxField && isCleanText(value)) kept[field] = value;
  }
  if (context.properties) {
    const properties: Record<string, string> = {};
    let n = 0;
    for (const [name, value] of Object.entries(context.properties)) {
      if (n >= L.maxProperties) break;
      if (name.length === 0 || name.length > L.maxName || typeof value !== "string" || value.length > L.maxValue) continue;
      if (!isCleanText(name) || !isCleanText(value)) continue;
      properties[name] = value;
      n++;
    }
    if (n > 0) kept.properties = properties;
  }
  return kept;
}

/**
 * A bottom-k sample of distinct users. `offer` costs one hash and one comparison for a user who
 * cannot enter (nearly every call once the sample is full), and builds the context only for one who
 * does. Users who entered since the last `take` are handed over once (the SDK sends them).
 */
export class AudienceSampler {
  private readonly users = new Map<string, SampledUser>();
  private readonly fresh = new Set<string>();
  /** A hash at or above this cannot be among the k smallest any more. */
  private threshold = HASH_RANGE;

  constructor(readonly size = AUDIENCE_SAMPLE_SIZE) {}

  offer(userId: string | undefined, context: () => TargetingContext): void {
    if (!userId) return;
    const hash = audienceHash(userId);
    if (hash >= this.threshold || this.users.has(userId)) return;
    // An id the events API would refuse would have the whole batch of users refused with it.
    if (userId.length > AUDIENCE_CONTEXT_LIMITS.maxField || !isCleanText(userId)) return;
    this.users.set(userId, { userId, hash, context: sampledContext(userId, context()) });
    this.fresh.add(userId);
    // Trimmed in batches (at 2k) so each entry costs a share of one sort, not a scan.
    if (this.users.size >= 2 * this.size) this.trim();
  }

  private trim(): void {
    const ordered = [...this.users.values()].sort((a, b) => a.hash - b.hash);
    for (const gone of ordered.slice(this.size)) {
      this.users.delete(gone.userId);
      this.fresh.delete(gone.userId);
    }
    this.threshold = ordered[this.size - 1]!.hash + 1;
  }

  get freshCount(): number {
    return this.fresh.size;
  }

  /** Up to `limit` users not handed over yet (smallest hashes first); they are handed over once. */
  take(limit: number): SampledUser[] {
    const out = [...this.fresh]
      .map((id) => this.users.get(id)!)
      .sort((a, b) => a.hash - b.hash)
      .slice(0, limit);
    for (const u of out) this.fresh.delete(u.userId);
    return out;
  }

  /** A send that failed: the users go back, unless the sample has moved past them since. */
  giveBack(users: readonly SampledUser[]): void {
    for (const u of users) if (this.users.get(u.userId) === u) this.fresh.add(u.userId);
  }

  /** Starts afresh (a new day: the server keeps one sample per day). */
  clear(): void {
    this.users.clear();
    this.fresh.clear();
    this.threshold = HASH_RANGE;
  }
}

/** The users seen in a window, the k smallest hashes, ordered by hash. */
export interface AudienceSample {
  users: readonly Pick<SampledUser, "hash" | "context">[];
  size: number;
}

export interface Reach {
  /** Users matched: exact when `exact`, else the sample's share times `seen`. */
  matched: number;
  /** Distinct users seen in the window (an estimate when the sample is full). */
  seen: number;
  exact: boolean;
}

/**
 * How many of the users seen match `matches`. Below k users the sample is everyone (every day's
 * sample was whole, or the union would hold k), so the counts are exact; at k the count of users is
 * (k − 1) / (h_k / 2³²), and the matched share of the sample scales it.
 */
export function estimateReach(sample: AudienceSample, matches: (context: TargetingContext) => boolean): Reach {
  const n = sample.users.length;
  let hits = 0;
  for (const u of sample.users) if (matches(u.context)) hits++;
  if (n < sample.size) return { matched: hits, seen: n, exact: true };
  const kth = sample.users[sample.size - 1]!.hash;
  const seen = Math.max(n, Math.round((sample.size - 1) / ((kth + 1) / HASH_RANGE)));
  return { matched: Math.round((seen * hits) / n), seen, exact: false };
}

/** A segment's constraints as a matcher of sampled contexts (a missing segment matches no one). */
export function segmentMatcher(segment: Segment | undefined, sources: Sources): (context: TargetingContext) => boolean {
  if (!segment) return () => false;
  const matcher: Matcher = allOf(segment.constraints.map(compileConstraint));
  return (context) => matcher(context, sources);
}

/** Whether a phase serves the user: one of its segments, its allowlist, or its percentage in the flag's group. */
export function phaseMatcher(
  phase: { percent: number; allowlist: readonly string[]; segments?: readonly number[] },
  groupId: string,
  segments: Readonly<Record<string, Segment>>,
  sources: Sources,
): (context: TargetingContext) => boolean {
  if (phase.percent >= 100) return () => true;
  const inSegment = (phase.segments ?? []).map((id) => segmentMatcher(segments[String(id)], sources));
  const allow = new Set(phase.allowlist);
  return (c) => {
    const id = c.userId ?? "";
    if (allow.has(id) || inSegment.some((m) => m(c))) return true;
    return phase.percent > 0 && id !== "" && bucketOf(groupId, id) <= phase.percent;
  };
}

const approx = (n: number): string => {
  if (n < 100) return String(n);
  const digits = Math.floor(Math.log10(n)) - 1;
  return (Math.round(n / 10 ** digits) * 10 ** digits).toLocaleString("en-US");
};
const users = (n: number) => (n === 1 ? "1 user" : `${n.toLocaleString("en-US")} users`);

/**
 * "≈ 120 of ≈ 9,800 users seen last week", "12 of 340 users seen last week", "no users seen last
 * week". Estimates are rounded to two significant figures, since that is what a sample of 4,096 can
 * say; exact counts are given as they are.
 */
export function describeReach(reach: Reach, window = "last week"): string {
  if (reach.seen === 0) return `no users seen ${window}`;
  if (reach.exact) return `${reach.matched.toLocaleString("en-US")} of ${users(reach.seen)} seen ${window}`;
  return `≈ ${approx(reach.matched)} of ≈ ${approx(reach.seen)} users seen ${window}`;
}
