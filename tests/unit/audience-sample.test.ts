import { describe, expect, it } from "vitest";
import {
  AudienceSampler,
  audienceHash,
  describeReach,
  estimateReach,
  phaseMatcher,
  sampledContext,
  segmentMatcher,
  type AudienceSample,
} from "@/lib/domain/audience-sample";
import type { Segment, TargetingContext } from "@/lib/domain/targeting/model";
import { eventBatchSchema } from "@/lib/metrics/event-schemas";

const SOURCES = { random: Math.random, now: Date.now };
const staff: Segment = {
  id: 1,
  name: "Staff",
  constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"], inverted: false, caseInsensitive: true }],
};
const userOf = (i: number): TargetingContext => ({
  userId: `user-${i}`,
  properties: { email: i % 50 === 0 ? `u${i}@acme.com` : `u${i}@example.org` },
});

/** A server-side sample of a day: the union of several samplers, trimmed to the k smallest. */
function merged(samplers: AudienceSampler[], size: number): AudienceSample {
  const all = new Map<string, { hash: number; context: TargetingContext }>();
  for (const s of samplers) for (const u of s.take(Infinity)) all.set(u.userId, { hash: u.hash, context: u.context });
  return { users: [...all.values()].sort((a, b) => a.hash - b.hash).slice(0, size), size };
}

describe("the bottom-k audience sample", () => {
  it("keeps the k users with the smallest hashes, each once however often seen", () => {
    const sampler = new AudienceSampler(64);
    for (let round = 0; round < 3; round++) for (let i = 0; i < 1000; i++) sampler.offer(`user-${i}`, () => userOf(i));
    const taken = sampler.take(Infinity);
    const smallest = Array.from({ length: 1000 }, (_, i) => audienceHash(`user-${i}`))
      .sort((a, b) => a - b)
      .slice(0, 64);
    // Trimming happens at 2k, so up to 2k may be held; the k smallest are always among them.
    expect(taken.length).toBeGreaterThanOrEqual(64);
    expect(taken.length).toBeLessThan(128);
    expect(taken.slice(0, 64).map((u) => u.hash)).toEqual(smallest);
    expect(new Set(taken.map((u) => u.userId)).size).toBe(taken.length);
  });

  it("hands each user over once; a failed send gives them back; a new day starts afresh", () => {
    const sampler = new AudienceSampler(16);
    for (let i = 0; i < 10; i++) sampler.offer(`user-${i}`, () => userOf(i));
    const first = sampler.take(4);
    expect(first).toHaveLength(4);
    expect(sampler.freshCount).toBe(6);
    sampler.giveBack(first);
    expect(sampler.freshCount).toBe(10);
    expect(sampler.take(100)).toHaveLength(10);
    sampler.offer("user-3", () => userOf(3));
    expect(sampler.freshCount).toBe(0); // already sampled today
    sampler.clear();
    sampler.offer("user-3", () => userOf(3));
    expect(sampler.take(100).map((u) => u.userId)).toEqual(["user-3"]);
  });

  it("builds the context only for a user who enters, and never for one without an id", () => {
    const sampler = new AudienceSampler(1);
    let built = 0;
    for (let i = 0; i < 500; i++)
      sampler.offer(`user-${i}`, () => {
        built++;
        return userOf(i);
      });
    sampler.offer(undefined, () => {
      built += 1000;
      return {};
    });
    // Entries at a running minimum of 500 hashes: about ln(500) ≈ 6, plus the second slot before a trim.
    expect(built).toBeLessThan(30);
  });

  it("merging instances' samples gives the same sample as one instance that saw everyone", () => {
    const one = new AudienceSampler(128);
    const parts = [new AudienceSampler(128), new AudienceSampler(128), new AudienceSampler(128)];
    for (let i = 0; i < 5000; i++) {
      one.offer(`user-${i}`, () => userOf(i));
      parts[i % 3]!.offer(`user-${i}`, () => userOf(i));
      if (i % 7 === 0) parts[(i + 1) % 3]!.offer(`user-${i}`, () => userOf(i)); // seen by two instances
    }
    expect(merged(parts, 128).users.map((u) => u.hash)).toEqual(merged([one], 128).users.map((u) => u.hash));
  });

  it("keeps only what constraints read, and leaves out (does not cut) a property past the limits", () => {
    const kept = sampledContext("u1", {
      userId: "u1",
      sessionId: "s",
      environment: "production",
      currentTime: "2026-01-01T00:00:00Z",
      properties: {
        email: "a@acme.com",
        long: "x".repeat(201),
        ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`p${i}`, "v"])),
      },
    });
    expect(kept.environment).toBeUndefined();
    expect(kept.currentTime).toBeUndefined();
    expect(kept.sessionId).toBe("s");
    expect(kept.properties?.long).toBeUndefined();
    expect(Object.keys(kept.properties!)).toHaveLength(20);
    expect(kept.properties!.email).toBe("a@acme.com");
  });

  it("leaves out text the events API refuses, so one user's odd context does not cost the batch", () => {
    const context: TargetingContext = {
      userId: "u1",
      sessionId: "s\n1",
      appName: "shop",
      properties: { email: "a@acme.com", note: "line\nbreak", ["bad\u202Ename"]: "v", plain: "ok" },
    };
    const kept = sampledContext("u1", context);
    expect(kept).toEqual({ userId: "u1", appName: "shop", properties: { email: "a@acme.com", plain: "ok" } });
    expect(eventBatchSchema.safeParse({ contexts: [kept] }).success).toBe(true);
    expect(eventBatchSchema.safeParse({ contexts: [{ ...kept, sessionId: "s\n1" }] }).success).toBe(false);
    const sampler = new AudienceSampler(10);
    for (const id of ["tab\tuser", "nul\u0000", "x".repeat(201), "fine"]) sampler.offer(id, () => ({ userId: id }));
    expect(sampler.take(10).map((u) => u.userId)).toEqual(["fine"]);
  });
});

describe("reach of a segment or a phase", () => {
  it("is exact below k users", () => {
    const sampler = new AudienceSampler(4096);
    for (let i = 0; i < 1000; i++) sampler.offer(`user-${i}`, () => userOf(i));
    const reach = estimateReach(merged([sampler], 4096), segmentMatcher(staff, SOURCES));
    expect(reach).toEqual({ matched: 20, seen: 1000, exact: true });
    expect(describeReach(reach)).toBe("20 of 1,000 users seen last week");
  });

  it("is estimated within sampling error at k users: 2 % staff of 100,000", () => {
    const samplers = [new AudienceSampler(4096), new AudienceSampler(4096)];
    for (let i = 0; i < 100_000; i++) samplers[i % 2]!.offer(`user-${i}`, () => userOf(i));
    const reach = estimateReach(merged(samplers, 4096), segmentMatcher(staff, SOURCES));
    expect(reach.exact).toBe(false);
    // The count's standard error is 1/√k ≈ 1.6 %; the share's √(p(1−p)/k)/p ≈ 11 % for 2 %.
    expect(Math.abs(reach.seen - 100_000) / 100_000).toBeLessThan(0.06);
    expect(Math.abs(reach.matched - 2000) / 2000).toBeLessThan(0.4);
    expect(describeReach(reach)).toMatch(/^≈ [\d,]+ of ≈ (9\d,\d00|10\d,000) users seen last week$/);
  });

  it("a phase serves its segments, its allowlist and its percentage of the flag's group", () => {
    const sample: AudienceSample = { size: 4096, users: Array.from({ length: 2000 }, (_, i) => ({ hash: i, context: userOf(i) })) };
    const segments = { "1": staff };
    const bySegment = estimateReach(sample, phaseMatcher({ percent: 0, allowlist: ["user-1"], segments: [1] }, "g", segments, SOURCES));
    expect(bySegment.matched).toBe(40 + 1);
    const byPercent = estimateReach(sample, phaseMatcher({ percent: 10, allowlist: [], segments: [] }, "g", segments, SOURCES));
    expect(byPercent.matched).toBeGreaterThan(150);
    expect(byPercent.matched).toBeLessThan(250);
    expect(estimateReach(sample, phaseMatcher({ percent: 100, allowlist: [] }, "g", segments, SOURCES)).matched).toBe(2000);
    expect(estimateReach(sample, segmentMatcher(undefined, SOURCES)).matched).toBe(0);
  });

  it("says when nobody was seen", () => {
    expect(describeReach({ matched: 0, seen: 0, exact: true })).toBe("no users seen last week");
    expect(describeReach({ matched: 1, seen: 1, exact: true })).toBe("1 of 1 user seen last week");
    expect(describeReach({ matched: 123_456, seen: 987_654, exact: false })).toBe("≈ 120,000 of ≈ 990,000 users seen last week");
  });
});
