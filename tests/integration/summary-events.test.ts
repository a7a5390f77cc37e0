// Summary events: SDKs fold outcomes into per-minute summaries; the server adds them into the same
// rollups as single events, exactly, and refuses a bad summary without storing anything.
import { beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { LATENCY_EDGES_MS, LATENCY_SLOTS, latencySlot } from "../../lib/domain/latency-buckets";
import { addSubject, emptySketch, estimateSubjects } from "../../lib/domain/subject-sketch";
import { RollgateClient } from "../../lib/sdk";
import { EventReporter } from "../../lib/sdk/event-reporter";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { eventually } from "../support/eventually";

/** A second SDK token of the same environment: batch ids are per token. */
const OTHER_SDK_TOKEN = "tok-sdk-production-0002";
const { t, app } = setUpTestApp({ bootstrapTokens: `${BOOTSTRAP},sdk:production:${OTHER_SDK_TOKEN}` });
beforeAll(async () => {
  for (const key of ["sum-sdk", "sum-http", "sum-bad", "sum-again", "sum-race", "sum-lost", "sum-capped", "sum-cap-race"])
    expect((await call(app.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key } })).status).toBe(201);
  // Raw rows on: that summaries leave none is then the summaries' doing, not the sampling's.
  const sampleAll = { token: ROLE_TOKENS.engineer, body: { rawEventSamplePercent: 100 } };
  expect((await call(app.url, "PATCH", "/api/v1/flags/sum-sdk", sampleAll)).status).toBe(200);
});

async function rollups(key: string) {
  const { rows } = await t.sql(
    `SELECT m.variant, sum(m.requests)::int AS requests, sum(m.errors)::int AS errors, sum(m.error_subjects)::int AS error_subjects,
            sum(m.latency_sum_ms)::float8 AS latency_sum,
            (SELECT array_agg(s ORDER BY i) FROM (SELECT u.i, sum(u.b)::int AS s FROM metric_rollups m2, unnest(m2.latency_buckets) WITH ORDINALITY u(b, i)
               WHERE m2.flag_id = f.id AND m2.variant = m.variant GROUP BY u.i) z) AS buckets
       FROM metric_rollups m JOIN flags f ON f.id = m.flag_id WHERE f.key = $1 GROUP BY m.variant, f.id ORDER BY m.variant`,
    [key],
  );
  return Object.fromEntries(rows.map((r) => [r.variant, r]));
}
const rawRows = async (key: string) =>
  (await t.sql(`SELECT count(*)::int AS n FROM events e JOIN flags f ON f.id = e.flag_id WHERE f.key = $1`, [key])).rows[0].n;

/** A valid summary for this minute: `requests` requests of 1 ms each (the histogram's first slot). */
const summaryOf = (flagKey: string, variant: "on" | "off", requests: number, errors = 0) => ({
  flagKey,
  variant,
  minute: new Date().toISOString(),
  requests,
  errors,
  latencySumMs: requests,
  latencyBuckets: [requests, ...new Array<number>(LATENCY_SLOTS - 1).fill(0)],
});

describe("summary events", () => {
  it("the SDK summarises by default: exact rollups, a few summaries instead of 2,000 events, no raw rows", async () => {
    const client = await RollgateClient.connect({ url: app.url, sdkKey: SDK_TOKEN, events: { flushIntervalMs: 60_000 } });
    await eventually(() => client.evaluate("sum-sdk", "x").reason !== "ERROR", 5000, "the SDK knows the flag");
    const expected = { on: { requests: 0, errors: 0, latency: 0, slots: new Array(LATENCY_SLOTS).fill(0), erring: new Set<string>() } };
    const subjects = emptySketch();
    // A rollup row counts the users who erred in its minute, so a loop that straddles a minute counts
    // a user erring in both twice: the events carry the time, as a service's would, to know which.
    const erringByMinute = new Map<string, Set<string>>();
    try {
      for (let i = 0; i < 2000; i++) {
        const user = `s-${i % 300}`;
        const error = i % 25 === 0;
        const latencyMs = (i * 7) % 900;
        const timestamp = new Date().toISOString();
        client.track({
          flagKey: "sum-sdk",
          variant: "on",
          outcome: error ? "error" : "success",
          latencyMs,
          targetingKey: user,
          timestamp,
          ...(error ? { errorCode: "E_SUM" } : {}),
        });
        if (error) {
          const minute = timestamp.slice(0, 16);
          erringByMinute.set(minute, (erringByMinute.get(minute) ?? new Set()).add(user));
        }
        expected.on.requests++;
        expected.on.latency += latencyMs;
        expected.on.slots[latencySlot(latencyMs)]++;
        addSubject(subjects, user);
        if (error) {
          expected.on.errors++;
          expected.on.erring.add(user);
        }
      }
      client.track({ flagKey: "not-served", variant: "on", outcome: "success", latencyMs: 1 }); // unknown here: dropped, not sent
      expect(client.eventStats.pending).toBeLessThanOrEqual(4); // one summary per minute the loop spanned
      await client.flushEvents();
      expect(client.eventStats).toEqual({ pending: 0, sent: 2000, dropped: 1 });
    } finally {
      await client.close();
    }
    const r = await rollups("sum-sdk");
    expect(r.on).toMatchObject({
      requests: 2000,
      errors: expected.on.errors,
      error_subjects: [...erringByMinute.values()].reduce((n, users) => n + users.size, 0),
      buckets: expected.on.slots,
    });
    expect(r.on.latency_sum).toBeCloseTo(expected.on.latency, 6);
    expect(await rawRows("sum-sdk")).toBe(0);
    const metrics = await call(app.url, "GET", "/api/v1/flags/sum-sdk/metrics?windowSeconds=86400&bucketSeconds=86400", {
      token: ROLE_TOKENS.viewer,
    });
    const points = metrics.body.series as { subjects: number; errorSubjects: number; errorsByCode: Record<string, number> }[];
    expect(points.map((p) => p.errorsByCode.E_SUM ?? 0).reduce((a, b) => a + b, 0)).toBe(expected.on.errors);
    // One bucket unless the loop straddled midnight UTC.
    if (points.length === 1) {
      expect(points[0]!.subjects).toBe(estimateSubjects(subjects));
      expect(points[0]!.errorSubjects).toBe(expected.on.erring.size);
    }
  });

  it("8 concurrent senders of summaries: rollups exactly equal the sums sent", async () => {
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000).toISOString();
    const sent = { requests: 0, errors: 0, slots: new Array<number>(LATENCY_SLOTS).fill(0), erring: new Set<string>() };
    const batches = Array.from({ length: 8 }, (_, s) =>
      Array.from({ length: 25 }, (_, b) => {
        const buckets = Array.from({ length: LATENCY_SLOTS }, (_, i) => (s + b + i) % 4);
        const requests = buckets.reduce((a, x) => a + x, 0);
        const errors = Math.min(requests, (s + b) % 5);
        const errorSubjects = Array.from({ length: Math.min(errors, 3) }, (_, k) => `e-${(s * 7 + b + k) % 40}`);
        buckets.forEach((n, i) => (sent.slots[i] = (sent.slots[i] ?? 0) + n));
        sent.requests += requests;
        sent.errors += errors;
        errorSubjects.forEach((x) => sent.erring.add(x));
        return {
          flagKey: "sum-http",
          variant: "on" as const,
          reason: "SPLIT" as const,
          minute,
          requests,
          errors,
          errorsByCode: errors ? { E_X: errors } : {},
          // Inside the histogram: each request just above its slot's lower edge.
          latencySumMs: buckets.reduce((sum, n, i) => sum + n * (i === 0 ? 1 : LATENCY_EDGES_MS[i - 1]! + 1), 0),
          latencyBuckets: buckets,
          errorSubjects,
        };
      }),
    );
    const results = await Promise.all(
      batches.map(async (summaries) => {
        const out: number[] = [];
        for (let i = 0; i < summaries.length; i += 5) {
          const res = await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { summaries: summaries.slice(i, i + 5) } });
          out.push(res.status);
        }
        return out;
      }),
    );
    expect(results.flat().every((s) => s === 202)).toBe(true);
    const r = await rollups("sum-http");
    expect(r.on).toMatchObject({ requests: sent.requests, errors: sent.errors, buckets: sent.slots, error_subjects: sent.erring.size });
    expect(await rawRows("sum-http")).toBe(0);
  });

  it.each([
    ["a negative count", { requests: -1 }, "summaries.1.requests"],
    ["a histogram of the wrong length", { latencyBuckets: [1, 0] }, "summaries.1.latencyBuckets"],
    ["a histogram that does not add up", { latencyBuckets: [2, ...new Array(LATENCY_SLOTS - 1).fill(0)] }, "summaries.1.latencyBuckets"],
    ["more errors than requests", { errors: 5 }, "summaries.1.errors"],
    ["a malformed sketch", { subjectsSketch: "zz" }, "summaries.1.subjectsSketch"],
    ["an unknown flag", { flagKey: "no-such-flag" }, "summaries.1.flagKey"],
  ])("refuses %s with 400 naming the summary, and stores nothing of the batch", async (_what, change, field) => {
    const good = { ...summaryOf("sum-bad", "on", 1), latencySumMs: 3 };
    const res = await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { summaries: [good, { ...good, ...change }] } });
    expect(res.status).toBe(400);
    expect(res.body.index).toBe(1);
    expect(Object.keys(res.body.error.fields)).toContain(field);
    expect(await rollups("sum-bad")).toEqual({});
  });

  it("accepts a summary for a flag this instance's store does not know yet, once the database vouches for it", async () => {
    // Triggers off: no NOTIFY and no configuration version, so the store stays as it was. What a
    // flag created a moment ago on another instance looks like here until its NOTIFY arrives.
    await t.sql(`SET session_replication_role = replica;
      INSERT INTO flags (key) VALUES ('sum-unannounced');
      INSERT INTO flag_states (flag_id, environment_key, enabled) SELECT id, 'production', true FROM flags WHERE key = 'sum-unannounced';
      RESET session_replication_role;`);
    const evaluation = await call(app.url, "POST", "/ofrep/v1/evaluate/flags/sum-unannounced", {
      token: SDK_TOKEN,
      body: { context: { targetingKey: "u1" } },
    });
    expect(evaluation.body.errorCode, "the store must not know the flag for this test to mean anything").toBe("FLAG_NOT_FOUND");
    const res = await call(app.url, "POST", "/api/v1/events", {
      token: SDK_TOKEN,
      body: { summaries: [summaryOf("sum-unannounced", "on", 3, 1)] },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(await rollups("sum-unannounced")).toMatchObject({ on: { requests: 3, errors: 1 } });
  });

  it("counts a summary for a flag archived since the SDK counted it, and the rest of its batch", async () => {
    // Archived through the API, so this instance's store has dropped it: what an SDK flushing the
    // minute it still served the flag in sends.
    const eng = { token: ROLE_TOKENS.engineer };
    expect((await call(app.url, "POST", "/api/v1/flags", { ...eng, body: { key: "sum-archived" } })).status).toBe(201);
    const archived = await call(app.url, "POST", "/api/v1/flags/archive", { ...eng, body: { keys: ["sum-archived"], reason: "retired" } });
    expect(archived.status, JSON.stringify(archived.body)).toBe(200);
    const evaluate = () =>
      call(app.url, "POST", "/ofrep/v1/evaluate/flags/sum-archived", { token: SDK_TOKEN, body: { context: { targetingKey: "u1" } } });
    await eventually(async () => (await evaluate()).body.errorCode === "FLAG_NOT_FOUND", 5000, "the store drops the archived flag");
    const before = (await rollups("sum-http")).off?.requests ?? 0;
    const res = await call(app.url, "POST", "/api/v1/events", {
      token: SDK_TOKEN,
      body: { summaries: [summaryOf("sum-archived", "off", 4), summaryOf("sum-http", "off", 5)] },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toEqual({ accepted: 2, ignored: 0 });
    expect(await rollups("sum-archived")).toMatchObject({ off: { requests: 4 } });
    expect((await rollups("sum-http")).off.requests).toBe(before + 5);
  });

  it("the SDK sends only what the API accepts: an error code taken from an exception does not cost the batch", async () => {
    const eng = { token: ROLE_TOKENS.engineer };
    expect((await call(app.url, "POST", "/api/v1/flags", { ...eng, body: { key: "sum-messy" } })).status).toBe(201);
    const before = (await rollups("sum-http")).off?.requests ?? 0;
    // A line break, a bidi override, a NUL, and more than 100 characters: each alone is a field the
    // API refuses, and with it the whole batch.
    const fromException = `upstream timeout\n    at fetch (node:internal)\u202E\u0000 ${"x".repeat(57)}😀${"y".repeat(9)}`;
    for (const summarize of [true, false]) {
      const client = await RollgateClient.connect({ url: app.url, sdkKey: SDK_TOKEN, events: { flushIntervalMs: 60_000, summarize } });
      try {
        await eventually(() => client.evaluate("sum-messy", "x").reason !== "ERROR", 5000, "the SDK knows the flag");
        const error = { flagKey: "sum-messy", variant: "on", outcome: "error", latencyMs: 5 } as const;
        client.track({ ...error, errorCode: fromException, targetingKey: "tab\tuser" });
        client.track({ ...error, errorCode: "\n\u0007", targetingKey: "u-1" });
        client.track({ flagKey: "sum-http", variant: "off", outcome: "success", latencyMs: 5, targetingKey: "u-2" });
        // A time that is none, and one the API no longer takes: dropped and counted, not thrown at
        // the caller (the summariser used to throw RangeError) and not sent to cost the batch.
        expect(() => client.track({ ...error, timestamp: "yesterday" })).not.toThrow();
        client.track({ ...error, timestamp: new Date(Date.now() - 8 * 86_400_000).toISOString() });
        // What plain JavaScript may pass: sent as the API takes it (latency 0, reason UNKNOWN, the code
        // as text), or, with no variant the API knows, dropped.
        const untyped = (e: Record<string, unknown>) => client.track(e as unknown as Parameters<typeof client.track>[0]);
        untyped({ ...error, latencyMs: Number.NaN, reason: "WHATEVER", errorCode: 500 });
        untyped({ ...error, variant: "maybe" });
        await client.flushEvents();
        expect(client.eventStats, `summarize: ${summarize}`).toEqual({ pending: 0, sent: 4, dropped: 3 });
      } finally {
        await client.close();
      }
    }
    expect(await rollups("sum-messy")).toMatchObject({ on: { requests: 6, errors: 6 } });
    expect((await rollups("sum-http")).off.requests).toBe(before + 2);
    const { rows } = await t.sql(
      `SELECT DISTINCT jsonb_object_keys(m.errors_by_code) AS code FROM metric_rollups m JOIN flags f ON f.id = m.flag_id WHERE f.key = 'sum-messy'`,
    );
    const codes = rows.map((r) => r.code as string);
    expect(codes).toContain("unknown");
    expect(codes).toContain("500");
    const label = codes.find((c) => c.startsWith("upstream"));
    expect(label).toBe(`upstream timeout at fetch (node:internal) ${"x".repeat(57)}😀`);
  });
  it("a summary the API refuses costs only itself: the SDK drops what the 400 named and sends the rest of the batch", async () => {
    // A flag this environment never had (the client checks keys against its configuration; its
    // reporter does not, so this stands for a flag that left the environment before the flush).
    const errors: string[] = [];
    const reporter = new EventReporter({
      url: app.url,
      sdkKey: SDK_TOKEN,
      fetch,
      flushIntervalMs: 60_000,
      onError: (err) => errors.push(err.message),
    });
    const before = (await rollups("sum-bad")).on?.requests ?? 0;
    try {
      for (let i = 0; i < 30; i++) reporter.add({ flagKey: "sum-bad", variant: "on", outcome: "success", latencyMs: 3 });
      for (let i = 0; i < 7; i++) reporter.add({ flagKey: "never-in-production", variant: "on", outcome: "success", latencyMs: 3 });
      await reporter.flush();
    } finally {
      await reporter.close();
    }
    expect({ sent: reporter.sent, dropped: reporter.dropped, pending: reporter.pending }).toEqual({ sent: 30, dropped: 7, pending: 0 });
    expect(errors).toEqual([expect.stringMatching(/^events rejected with HTTP 400; dropped 7 \(summaries\.\d+\), sending the rest$/)]);
    expect((await rollups("sum-bad")).on.requests).toBe(before + 30);
  });
});

describe("a batch sent again", () => {
  const batchId = (name: string) => `${name}-${process.pid}-${Date.now()}`.padEnd(16, "0");
  const post = (body: object, token = SDK_TOKEN) => call(app.url, "POST", "/api/v1/events", { token, body });

  it("is counted once: the second arrival answers duplicate and counts nothing; another token's batch of that id counts", async () => {
    const body = { batchId: batchId("again"), summaries: [summaryOf("sum-again", "on", 7, 2)] };
    const first = await post(body);
    expect([first.status, first.body]).toEqual([202, { accepted: 1, ignored: 0 }]);
    const again = await post(body);
    expect([again.status, again.body]).toEqual([202, { accepted: 0, ignored: 0, duplicate: true }]);
    expect((await rollups("sum-again")).on).toMatchObject({ requests: 7, errors: 2 });
    // Without an id every arrival counts (older SDKs); the same id from another token is that token's.
    expect((await post({ summaries: [summaryOf("sum-again", "on", 1)] })).status).toBe(202);
    expect((await post(body, OTHER_SDK_TOKEN)).body).toEqual({ accepted: 1, ignored: 0 });
    expect((await rollups("sum-again")).on.requests).toBe(15);
    expect((await post({ ...body, batchId: "short" })).body.error.fields).toEqual({
      batchId: "16 to 64 letters, digits, '-' or '_', new for each batch",
    });
  });

  it("eight copies at once count once", async () => {
    const body = { batchId: batchId("race"), events: [{ flagKey: "sum-race", variant: "on", outcome: "error", latencyMs: 4 }] };
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(body)));
    expect(answers.map((a) => a.status)).toEqual(new Array(8).fill(202));
    expect(answers.filter((a) => a.body.accepted === 1)).toHaveLength(1);
    expect(answers.filter((a) => a.body.duplicate === true)).toHaveLength(7);
    expect((await rollups("sum-race")).on).toMatchObject({ requests: 1, errors: 1 });
  });

  it("the SDK whose answer was lost sends the batch again, and the server counts it once", async () => {
    let posts = 0;
    const errors: string[] = [];
    const reporter = new EventReporter({
      url: app.url,
      sdkKey: SDK_TOKEN,
      flushIntervalMs: 60_000,
      onError: (e) => errors.push(e.message),
      // The first request reaches the server and is counted; its answer never reaches the SDK.
      fetch: (async (url: string, init: RequestInit) => {
        const res = await fetch(url, init);
        if (++posts === 1) {
          await res.arrayBuffer();
          throw new TypeError("fetch failed: the connection was reset");
        }
        return res;
      }) as typeof fetch,
    });
    for (let i = 0; i < 20; i++) reporter.add({ flagKey: "sum-lost", variant: "on", outcome: i < 3 ? "error" : "success", latencyMs: 5 });
    await reporter.flush();
    expect(reporter.pending).toBeGreaterThan(0);
    expect((await rollups("sum-lost")).on).toMatchObject({ requests: 20, errors: 3 });
    await reporter.close(); // the retry
    expect({ sent: reporter.sent, pending: reporter.pending, posts }).toEqual({ sent: 20, pending: 0, posts: 2 });
    expect(errors).toEqual(["fetch failed: the connection was reset"]);
    expect((await rollups("sum-lost")).on).toMatchObject({ requests: 20, errors: 3 });
  });

  it("a refused batch leaves no claim: its id counts when sent again in a form the server takes", async () => {
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 180_000).toISOString();
    const full = { ...summaryOf("sum-capped", "on", 60_000_000), minute };
    expect((await post({ summaries: [full] })).status).toBe(202);
    const id = batchId("capped");
    // One more request in that minute is over the token's cap: the database refuses the whole batch.
    const over = await post({ batchId: id, summaries: [{ ...summaryOf("sum-capped", "on", 1), minute }] });
    expect(over.status).toBe(400);
    const retried = await post({ batchId: id, summaries: [summaryOf("sum-capped", "on", 1)] });
    expect([retried.status, retried.body]).toEqual([202, { accepted: 1, ignored: 0 }]);
    expect((await rollups("sum-capped")).on.requests).toBe(60_000_001);
  });
});

describe("the per-token cap under concurrency", () => {
  it("batches of one token sent at once for one flag and minute, each its own row: together they stay within 60 M requests", async () => {
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 240_000).toISOString();
    const rows = (["SPLIT", "TARGETING_MATCH", "DISABLED", "STATIC", "UNKNOWN"] as const).flatMap((reason) =>
      (["on", "off"] as const).map((variant) => ({ ...summaryOf("sum-cap-race", variant, 20_000_000), reason, minute })),
    );
    // Ten batches of 20 M each, every one a different variant and reason (a different rollup row): three fit.
    const answers = await Promise.all(
      rows.map((summary) => call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { summaries: [summary] } })),
    );
    expect(answers.filter((a) => a.status === 202)).toHaveLength(3);
    expect(answers.filter((a) => a.status === 400)).toHaveLength(7);
    const r = await rollups("sum-cap-race");
    expect((r.on?.requests ?? 0) + (r.off?.requests ?? 0)).toBe(60_000_000);
    const totals = await t.sql(
      `SELECT sum(requests)::bigint::text AS n FROM metric_token_totals mt JOIN flags f ON f.id = mt.flag_id WHERE f.key = 'sum-cap-race'`,
    );
    expect(totals.rows[0].n).toBe("60000000");
  });
});
