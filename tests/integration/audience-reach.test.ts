// How many users an audience reaches (issue 25: "Staff (email ends with @acme.com), ≈ 120 users seen
// last week"), over real HTTP, a real PostgreSQL, the real SDK and OFREP: the users evaluated are
// sampled (a bottom-k sample per environment and day), and a rollout's phases, its approval form and
// the segments say how many of them each audience serves.
import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { eventually } from "../support/eventually";
import { RollgateClient } from "../../lib/sdk";
import { bucketOf } from "../../lib/domain/bucketing";
import { AUDIENCE_SAMPLE_SIZE, audienceHash } from "../../lib/domain/audience-sample";
import { segmentReach } from "../../lib/rollouts/phase-reach";

const STAGING_SDK = "tok-sdk-staging-audience";
const { t, app } = setUpTestApp({
  bootstrapTokens: `${BOOTSTRAP},sdk:staging:${STAGING_SDK}`,
  env: { ROLLGATE_AUDIENCE_FLUSH_MS: "200" },
});
const eng = ROLE_TOKENS.engineer;
const today = () => new Date().toISOString().slice(0, 10);
const sampled = async (environment: string): Promise<number> =>
  (await t.sql(`SELECT count(*)::int AS n FROM audience_samples WHERE environment_key = $1`, [environment])).rows[0].n;

/** User i: one in fifty is staff. */
const person = (i: number) => ({ targetingKey: `person-${i}`, email: i % 50 === 0 ? `p${i}@acme.com` : `p${i}@example.org` });
const STAFF = [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] }];
const FLAG = "reach-internal";
let rolloutId = "";
let segmentId = 0;

const rollout = async () => (await call(app.url, "GET", `/api/v1/rollouts/${rolloutId}`, { token: eng })).body;
const events = (body: unknown, token = SDK_TOKEN) => call(app.url, "POST", "/api/v1/events", { token, body });

describe("audience reach", () => {
  it("a planned internal phase says how many of the users the SDK saw it serves; so do its approval form and the others", async () => {
    const segment = await call(app.url, "POST", "/api/v1/segments", { token: eng, body: { name: "Staff", constraints: STAFF } });
    segmentId = segment.body.id;
    expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key: FLAG } })).status).toBe(201);
    const planned = await call(app.url, "POST", "/api/v1/rollouts", {
      token: eng,
      body: {
        flagKey: FLAG,
        environment: "production",
        phases: [
          { name: "Internal", percent: 0, segments: [segmentId], minSoakSeconds: 0 },
          { name: "10 %", percent: 10, segments: [segmentId], minSoakSeconds: 0 },
          { name: "All", percent: 100, minSoakSeconds: 0 },
        ],
      },
    });
    expect(planned.status).toBe(201);
    rolloutId = planned.body.id;
    // Nobody seen yet, and said so (transitions' answers carry no reach; the views do).
    expect(planned.body.phases[0].reach).toBeUndefined();
    expect((await rollout()).phases.map((p: { reach: string }) => p.reach)).toEqual(Array(3).fill("no users seen last week"));

    // A service evaluates the (still off) flag for 300 users, six of them staff.
    const dayBefore = today(); // the sample's day is the server's when it writes: this one or, past midnight UTC, the next
    const sdk = await RollgateClient.connect({ url: app.url, sdkKey: SDK_TOKEN });
    try {
      for (let round = 0; round < 3; round++) for (let i = 0; i < 300; i++) expect(sdk.isEnabled(FLAG, person(i))).toBe(false);
    } finally {
      await sdk.close(); // sends what it sampled
    }
    expect(await sampled("production")).toBe(300);
    const stored = await t.sql(`SELECT day::text, subject_hash, context FROM audience_samples WHERE user_id = 'person-50'`);
    expect([dayBefore, today()]).toContain(stored.rows[0]?.day);
    expect(stored.rows).toEqual([
      {
        day: stored.rows[0]?.day,
        subject_hash: String(audienceHash("person-50")),
        context: { userId: "person-50", properties: { email: "p50@acme.com" } },
      },
    ]);

    const tenPercent = Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 50 === 0 || bucketOf(FLAG, `person-${i}`) <= 10).length;
    const phases = (await rollout()).phases;
    expect(phases.map((p: { reach: string }) => p.reach)).toEqual([
      "6 of 300 users seen last week",
      `${tenPercent} of 300 users seen last week`,
      "300 of 300 users seen last week",
    ]);
    expect(phases[0].audience).toBe("Staff (email ends with @acme.com)");

    const review = await call(app.url, "GET", `/api/v1/rollouts/${rolloutId}/phases/1/review`, { token: ROLE_TOKENS.product_owner });
    expect(review.status).toBe(200);
    expect(review.body.change.reach).toEqual({
      before: "6 of 300 users seen last week",
      after: `${tenPercent} of 300 users seen last week`,
    });
  });

  it("an SDK created with sampleAudience: false sends no users", async () => {
    const before = await sampled("production");
    const sdk = await RollgateClient.connect({ url: app.url, sdkKey: SDK_TOKEN, sampleAudience: false });
    try {
      for (let i = 1000; i < 1100; i++) sdk.isEnabled(FLAG, person(i));
      await sdk.flushEvents();
    } finally {
      await sdk.close();
    }
    expect(await sampled("production")).toBe(before);
  });

  it("OFREP samples the contexts it evaluates, per environment", async () => {
    for (let i = 0; i < 40; i++) {
      const res = await call(app.url, "POST", `/ofrep/v1/evaluate/flags/${FLAG}`, {
        token: STAGING_SDK,
        body: { context: { ...person(i), plan: "pro", nested: { ignored: true } } },
      });
      expect(res.status).toBe(200);
    }
    await eventually(async () => (await sampled("staging")) === 40, 5000, "OFREP's sample written");
    const { rows } = await t.sql(`SELECT context FROM audience_samples WHERE environment_key = 'staging' AND user_id = 'person-0'`);
    expect(rows[0].context).toEqual({ userId: "person-0", properties: { email: "p0@acme.com", plan: "pro" } });
  });

  it("refuses a malformed user with a 400 naming the field, and stores nothing of the batch", async () => {
    const before = await sampled("production");
    const good = { userId: "fine-user", properties: { email: "x@acme.com" } };
    const cases: [unknown, string][] = [
      [{ contexts: [good, { userId: "" }] }, "contexts.1.userId"],
      [{ contexts: [good, { userId: "u", properties: { n: 5 } }] }, "contexts.1.properties.n"],
      [{ contexts: [good, { userId: "u", email: "x" }] }, "contexts.1"],
      [
        { contexts: [{ userId: "u", properties: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`p${i}`, "v"])) }] },
        "contexts.0.properties",
      ],
      [{ contexts: [{ userId: "u", properties: { long: "x".repeat(201) } }] }, "contexts.0.properties.long"],
      [{ contexts: Array.from({ length: 1001 }, (_, i) => ({ userId: `many-${i}` })) }, "contexts"],
      [{ contexts: [{ userId: "a\u0000b" }] }, "contexts.0.userId"],
    ];
    for (const [body, field] of cases) {
      const res = await events(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(Object.keys(res.body.error.fields), field).toContain(field);
    }
    expect(await sampled("production")).toBe(before);
    const alone = await events({ contexts: [good] });
    expect(alone.status).toBe(202);
    expect(alone.body).toMatchObject({ accepted: 0, ignored: 0, contexts: 1 });
  });

  it("keeps the day's 4,096 smallest hashes however many users come, and estimates from them", async () => {
    const ids = new Set(
      (await t.sql(`SELECT user_id FROM audience_samples WHERE environment_key = 'production'`)).rows.map((r) => r.user_id),
    );
    // 5,000 more users in batches of 1,000, two batches at a time (the writes take turns per environment).
    const batches = Array.from({ length: 5 }, (_, b) =>
      Array.from({ length: 1000 }, (_, i) => ({
        userId: `bulk-${b * 1000 + i}`,
        properties: { email: i % 100 === 0 ? "s@acme.com" : "c@x.org" },
      })),
    );
    for (let b = 0; b < 5; b += 2) {
      const sent = await Promise.all(batches.slice(b, b + 2).map((contexts) => events({ contexts })));
      expect(sent.map((r) => r.status)).toEqual(sent.map(() => 202));
    }
    for (const batch of batches) for (const c of batch) ids.add(c.userId);
    const smallest = [...ids]
      .map((id) => audienceHash(id))
      .sort((a, b) => a - b)
      .slice(0, AUDIENCE_SAMPLE_SIZE);
    const kept = await t.sql(`SELECT subject_hash FROM audience_samples WHERE environment_key = 'production' ORDER BY subject_hash`);
    expect(kept.rows.map((r) => Number(r.subject_hash))).toEqual(smallest);

    const all = ids.size;
    const phases = (await rollout()).phases;
    const m = /^≈ ([\d,]+) of ≈ ([\d,]+) users seen last week$/.exec(phases[2].reach);
    expect(m, phases[2].reach).not.toBeNull();
    const seen = Number(m![2]!.replaceAll(",", ""));
    expect(Math.abs(seen - all) / all).toBeLessThan(0.06);
    expect(m![1]).toBe(m![2]);
    // Staff: 6 + 50 of ~5,400 (about 1 %); the sample's share is within a few sampling errors.
    const staff = /^≈ ([\d,]+) of/.exec(phases[0].reach);
    expect(staff, phases[0].reach).not.toBeNull();
    expect(Number(staff![1]!.replaceAll(",", ""))).toBeGreaterThan(25);
    expect(Number(staff![1]!.replaceAll(",", ""))).toBeLessThan(110);
  });

  it("a segment's reach per environment, as the segments page shows it", async () => {
    const segment = { id: segmentId, name: "Staff", constraints: STAFF as never };
    const [production, staging] = await segmentReach(t.db, segment, ["production", "staging"]);
    expect(staging).toMatchObject({ environment: "staging", matched: 1, seen: 40, exact: true, words: "1 of 40 users seen last week" });
    expect(production!.exact).toBe(false);
    expect(production!.words).toMatch(/^≈ \d+ of ≈ [\d,]+ users seen last week$/);
  });
});
