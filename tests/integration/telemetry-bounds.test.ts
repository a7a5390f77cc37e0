// Telemetry that one token cannot forge (issue 23): a summary or event no real service could have
// produced is a 400 naming the field, and nothing of its batch reaches the database.
import { beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { LATENCY_SLOTS } from "../../lib/domain/latency-buckets";
import { addSubject, emptySketch } from "../../lib/domain/subject-sketch";
import { MAX_REQUESTS_PER_TOKEN_FLAG_MINUTE } from "../../lib/metrics/telemetry-bounds";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN } from "../support/http";

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });
const FLAG = "forge-target";
beforeAll(async () => {
  expect((await call(app.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key: FLAG } })).status).toBe(201);
  // Raw rows on, so "nothing stored" covers the events table too.
  const sampleAll = { token: ROLE_TOKENS.engineer, body: { rawEventSamplePercent: 100 } };
  expect((await call(app.url, "PATCH", `/api/v1/flags/${FLAG}`, sampleAll)).status).toBe(200);
});

/** Everything ingestion can write, for the test flag: equal before and after a refused batch. */
async function stored() {
  const { rows } = await t.sql(
    `SELECT (SELECT count(*) FROM metric_rollups m WHERE m.flag_id = f.id)::int AS rollups,
            (SELECT count(*) FROM metric_error_subjects s WHERE s.flag_id = f.id)::int AS error_subjects,
            (SELECT count(*) FROM events e WHERE e.flag_id = f.id)::int AS events
       FROM flags f WHERE f.key = $1`,
    [FLAG],
  );
  return rows[0];
}

const thisMinute = () => new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
const oneFast = [1, ...new Array<number>(LATENCY_SLOTS - 1).fill(0)];
const good = () => ({
  flagKey: FLAG,
  variant: "on",
  minute: thisMinute(),
  requests: 1,
  errors: 0,
  latencySumMs: 3,
  latencyBuckets: oneFast,
});
const event = { flagKey: FLAG, variant: "on", outcome: "success", latencyMs: 12, targetingKey: "u-1" };

async function refused(body: unknown, field: string) {
  const before = await stored();
  const res = await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body });
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.error.code).toBe("VALIDATION_FAILED");
  expect(Object.keys(res.body.error.fields)).toContain(field);
  expect(await stored()).toEqual(before);
  return res;
}

describe("plausibility bounds on POST /api/v1/events", () => {
  it("the forged summary of issue 23 (requests 9e15, errors 0) is a 400 naming requests, and nothing is stored", async () => {
    const forged = { ...good(), requests: 9e15, latencyBuckets: [9e15, ...new Array<number>(LATENCY_SLOTS - 1).fill(0)] };
    const res = await refused({ events: [event], summaries: [forged] }, "summaries.0.requests");
    expect(res.body.error.fields["summaries.0.requests"]).toMatch(String(MAX_REQUESTS_PER_TOKEN_FLAG_MINUTE));
    expect(res.body.index).toBe(0);
    expect(await stored()).toEqual({ rollups: 0, error_subjects: 0, events: 0 });
  });

  it("latencySumMs: 1e308 is a 400 naming latencySumMs, and nothing is stored", async () => {
    await refused({ summaries: [good(), { ...good(), latencySumMs: 1e308 }] }, "summaries.1.latencySumMs");
    expect(await stored()).toEqual({ rollups: 0, error_subjects: 0, events: 0 });
  });

  it.each([
    ["a sum above requests × the slots' upper edges", { latencySumMs: 5.5 }, "summaries.1.latencySumMs"],
    [
      "a sum below the slots' lower edges",
      { latencySumMs: 4, latencyBuckets: [0, 1, ...new Array<number>(LATENCY_SLOTS - 2).fill(0)] },
      "summaries.1.latencySumMs",
    ],
    ["a negative sum", { latencySumMs: -1 }, "summaries.1.latencySumMs"],
    ["more errors than requests", { errors: 2 }, "summaries.1.errors"],
    ["an error code count above errors", { errors: 1, errorsByCode: { E: 2 } }, "summaries.1.errorsByCode"],
    ["a fractional count", { requests: 1.5 }, "summaries.1.requests"],
    ["a minute 10 minutes ahead", { minute: new Date(Date.now() + 600_000).toISOString() }, "summaries.1.minute"],
    ["a minute 8 days old", { minute: new Date(Date.now() - 8 * 86_400_000).toISOString() }, "summaries.1.minute"],
    [
      "a histogram that does not add up to requests",
      { latencyBuckets: [2, ...new Array<number>(LATENCY_SLOTS - 1).fill(0)] },
      "summaries.1.latencyBuckets",
    ],
  ])("refuses %s, naming the field, storing nothing", async (_what, change, field) => {
    await refused({ events: [event], summaries: [good(), { ...good(), ...change }] }, field);
  });

  it("refuses erroring subjects the summary's own subjects sketch never saw", async () => {
    const sketch = emptySketch();
    for (let i = 0; i < 3; i++) addSubject(sketch, `seen-${i}`);
    const summary = {
      ...good(),
      requests: 3,
      errors: 2,
      latencySumMs: 9,
      latencyBuckets: [3, ...new Array<number>(LATENCY_SLOTS - 1).fill(0)],
      subjectsSketch: Buffer.from(sketch).toString("hex"),
    };
    await refused({ summaries: [{ ...summary, errorSubjects: ["seen-0", "never-seen-subject"] }] }, "summaries.0.errorSubjects.1");
    const ok = await call(app.url, "POST", "/api/v1/events", {
      token: SDK_TOKEN,
      body: { summaries: [{ ...summary, errorSubjects: ["seen-0", "seen-2"] }] },
    });
    expect(ok.status).toBe(202);
    await t.sql(`DELETE FROM metric_rollups; DELETE FROM metric_rollups_by_token; DELETE FROM metric_error_subjects`);
  });

  it("refuses a sketch that counts far more subjects than requests", async () => {
    const full = "19".repeat(256); // every register at its maximum: billions of subjects
    await refused({ summaries: [{ ...good(), subjectsSketch: full }] }, "summaries.0.subjectsSketch");
  });

  it("refuses numbers JSON turns into Infinity (1e999), and latencies over an hour", async () => {
    const before = await stored();
    for (const rawBody of [
      JSON.stringify({ summaries: [good()] }).replace('"latencySumMs":3', '"latencySumMs":1e999'),
      JSON.stringify({ events: [event] }).replace('"latencyMs":12', '"latencyMs":1e999'),
      JSON.stringify({ summaries: [good()] }).replace('"requests":1', '"requests":1e999'),
    ]) {
      const res = await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, rawBody });
      expect(res.status, rawBody).toBe(400);
      expect(Object.keys(res.body.error.fields)[0]).toMatch(/^(summaries\.0\.(latencySumMs|requests)|events\.0\.latencyMs)$/);
    }
    expect(await stored()).toEqual(before);
    await refused({ events: [{ ...event, latencyMs: 3_600_001 }] }, "events.0.latencyMs");
  });

  it("caps one token's requests for one flag and minute across the batch and across batches", async () => {
    const half = MAX_REQUESTS_PER_TOKEN_FLAG_MINUTE / 2;
    // All in last minute, fixed once: "this minute" read again after the clock turned would name a fresh,
    // uncapped minute.
    const minute = new Date(Date.parse(thisMinute()) - 60_000).toISOString();
    const one = { ...good(), minute };
    const big = { ...one, requests: half, latencySumMs: half, latencyBuckets: [half, ...new Array<number>(LATENCY_SLOTS - 1).fill(0)] };
    // Two halves and one more in one batch: the third summary goes over.
    const res = await refused({ summaries: [big, { ...big, variant: "off" }, one] }, "summaries.2.requests");
    expect(res.body.index).toBe(2);
    // In separate batches: the first two fit, the third goes over and stores nothing.
    expect((await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { summaries: [big] } })).status).toBe(202);
    expect(
      (await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { summaries: [{ ...big, variant: "off" }] } })).status,
    ).toBe(202);
    const lateEvent = { ...event, timestamp: new Date(Date.parse(minute) + 30_000).toISOString() };
    const late = await refused({ events: [lateEvent], summaries: [one] }, "summaries.0.requests");
    expect(late.body.error.message).toMatch(/per token|this token/);
    const { rows } = await t.sql(`SELECT sum(requests)::bigint AS n FROM metric_rollups`);
    expect(Number(rows[0].n)).toBe(MAX_REQUESTS_PER_TOKEN_FLAG_MINUTE);
  });
});
