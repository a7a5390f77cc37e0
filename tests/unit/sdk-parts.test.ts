import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fieldErrors } from "../../lib/api/http";
import { SseParser } from "../../lib/sdk/sse-parser";
import { EventReporter, refusedItems, type EventReporterOptions, type ReportedEvent } from "../../lib/sdk/event-reporter";
import type { WireSummary } from "../../lib/sdk/summary-aggregator";
import { reportedAs } from "../../lib/sdk/client";
import { AudienceSampler } from "../../lib/domain/audience-sample";

describe("SseParser", () => {
  it("assembles messages across arbitrary chunk boundaries and line endings", () => {
    const text = 'retry: 1500\n\n: heartbeat\r\nid: 7\nevent: config\ndata: {"a":\ndata: 1}\n\nevent: config\r\ndata: x\r\n\r\n';
    for (const size of [1, 2, 3, 7, text.length]) {
      const parser = new SseParser();
      const out = [];
      for (let i = 0; i < text.length; i += size) out.push(...parser.push(text.slice(i, i + size)));
      expect(out).toEqual([
        { event: "message", data: "", id: undefined, retry: 1500 },
        { event: "config", data: '{"a":\n1}', id: "7", retry: undefined },
        { event: "config", data: "x", id: "7", retry: undefined },
      ]);
    }
  });
});

/** A scripted stand-in for the server: answers each POST with the next status in `statuses`. */
function fakeServer(statuses: number[]) {
  const batches: ReportedEvent[][] = [];
  const summaries: WireSummary[][] = [];
  const contexts: { userId: string }[][] = [];
  /** The batchId of every request with events or summaries, failed ones too. */
  const ids: string[] = [];
  const fetchImpl = (async (_url: string, init: RequestInit) => {
    const body = JSON.parse(String(init.body)) as {
      batchId?: string;
      events?: ReportedEvent[];
      summaries?: WireSummary[];
      contexts?: { userId: string }[];
    };
    if (body.events || body.summaries) ids.push(body.batchId ?? "");
    const status = statuses.shift() ?? 202;
    if (status === 0) throw new TypeError("fetch failed");
    if (body.contexts) contexts.push(body.contexts);
    if (body.events) batches.push(body.events);
    if (body.summaries) summaries.push(body.summaries);
    return new Response("{}", { status });
  }) as unknown as typeof fetch;
  return { fetchImpl, batches, summaries, contexts, ids };
}

const ev = (i: number): ReportedEvent => ({ flagKey: "f", variant: "on", outcome: "success", latencyMs: i });

/** A reporter of single events to `server` that sends only when told (flush, close). */
const reporterFor = (server: ReturnType<typeof fakeServer>, options: Partial<EventReporterOptions> = {}) =>
  new EventReporter({ url: "http://x", sdkKey: "k", fetch: server.fetchImpl, flushIntervalMs: 60_000, summarize: false, ...options });

describe("EventReporter", () => {
  it("sends in batches of batchSize", async () => {
    const server = fakeServer([]);
    const r = reporterFor(server, { batchSize: 3 });
    for (let i = 0; i < 7; i++) r.add(ev(i));
    await r.close();
    expect(server.batches.map((b) => b.map((e) => e.latencyMs))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(r.sent).toBe(7);
    expect(r.pending).toBe(0);
  });

  it("keeps a batch after a network error or 503 and sends it on retry", async () => {
    const server = fakeServer([0, 503, 202]);
    const r = reporterFor(server, { batchSize: 10 });
    r.add(ev(1));
    await r.flush();
    expect(r.pending).toBe(1);
    await r.close(); // close retries immediately
    expect(r.pending).toBe(1); // the 503
    await r.close();
    expect(r.pending).toBe(0);
    expect(r.sent).toBe(1);
  });

  it("retries a batch as it was, under the same id; what was tracked meanwhile goes in a batch of its own", async () => {
    const server = fakeServer([0, 503, 202, 202]);
    const r = reporterFor(server, { batchSize: 10 });
    r.add(ev(1));
    r.add(ev(2));
    await r.flush(); // no answer: the server may have counted it
    r.add(ev(3));
    expect(r.pending).toBe(3);
    await r.close(); // 503
    await r.close();
    // The 503's and the 202's request (the first never reached the server), then the one tracked meanwhile.
    expect(server.batches.map((b) => b.map((e) => e.latencyMs))).toEqual([[1, 2], [1, 2], [3]]);
    const [first, retry, again, next] = server.ids;
    expect(first).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
    expect([retry, again]).toEqual([first, first]);
    expect(next).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
    expect(next).not.toBe(first);
    expect(r.sent).toBe(3);
  });

  it("against a server from before batch ids (which refuses the unknown field), sends the batch again without one, and no more ids", async () => {
    // What such a server answered: its strict schema's refusal of the key, as the API words field errors.
    const before = z.strictObject({ events: z.array(z.unknown()) }).safeParse({ batchId: "0123456789abcdef", events: [] });
    const refusal = JSON.stringify({
      error: { code: "VALIDATION_FAILED", message: "The request is invalid", fields: fieldErrors(before.error!) },
    });
    const bodies: { batchId?: string; events?: unknown[] }[] = [];
    const fetchImpl = (async (_url: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body)) as { batchId?: string; events?: unknown[] };
      bodies.push(body);
      return new Response(body.batchId ? refusal : "{}", { status: body.batchId ? 400 : 202 });
    }) as unknown as typeof fetch;
    const errors: Error[] = [];
    const r = new EventReporter({
      url: "http://x",
      sdkKey: "k",
      fetch: fetchImpl,
      flushIntervalMs: 60_000,
      summarize: false,
      onError: (e) => errors.push(e),
    });
    r.add(ev(1));
    await r.flush();
    r.add(ev(2));
    await r.close();
    expect(bodies.map((b) => [b.batchId !== undefined, b.events?.length])).toEqual([
      [true, 1],
      [false, 1],
      [false, 1],
    ]);
    expect({ sent: r.sent, dropped: r.dropped, errors }).toEqual({ sent: 2, dropped: 0, errors: [] });
  });

  it("counts the batch in flight against maxBuffer", async () => {
    const server = fakeServer([503]);
    const r = reporterFor(server, { batchSize: 3, maxBuffer: 5 });
    for (let i = 0; i < 3; i++) r.add(ev(i));
    await r.flush(); // three in flight, kept for a retry
    for (let i = 3; i < 7; i++) r.add(ev(i));
    expect(r.pending).toBe(5);
    expect(r.dropped).toBe(2);
  });

  it("drops a batch the server rejects as invalid", async () => {
    const errors: Error[] = [];
    const server = fakeServer([400]);
    const r = reporterFor(server, { onError: (e) => errors.push(e) });
    r.add(ev(1));
    await r.close();
    expect(r.pending).toBe(0);
    expect(r.dropped).toBe(1);
    expect(errors[0]?.message).toMatch(/HTTP 400/);
  });

  it("drops only the items a 400 names and sends the rest; a server naming one at a time gets five such answers a flush", async () => {
    const refusal = (path: string) => JSON.stringify({ error: { code: "VALIDATION_FAILED", message: "…", fields: { [path]: "bad" } } });
    const sentBodies: number[][] = [];
    // Refuses any batch holding latency 3 by naming it, then any batch at all by naming its first item.
    let namesFirst = false;
    const fetchImpl = (async (_url: string, init: RequestInit) => {
      const events = (JSON.parse(String(init.body)) as { events: ReportedEvent[] }).events;
      sentBodies.push(events.map((e) => e.latencyMs));
      const bad = events.findIndex((e) => e.latencyMs === 3);
      if (bad >= 0) return new Response(refusal(`events.${bad}.latencyMs`), { status: 400 });
      if (namesFirst) return new Response(refusal("events.0.flagKey"), { status: 400 });
      return new Response("{}", { status: 202 });
    }) as unknown as typeof fetch;
    const r = new EventReporter({ url: "http://x", sdkKey: "k", fetch: fetchImpl, flushIntervalMs: 60_000, summarize: false });
    for (let i = 0; i < 6; i++) r.add(ev(i));
    await r.flush();
    expect(sentBodies).toEqual([
      [0, 1, 2, 3, 4, 5],
      [0, 1, 2, 4, 5],
    ]);
    expect({ sent: r.sent, dropped: r.dropped, pending: r.pending }).toEqual({ sent: 5, dropped: 1, pending: 0 });

    namesFirst = true;
    sentBodies.length = 0;
    for (let i = 10; i < 20; i++) r.add(ev(i));
    await r.close();
    // Five items dropped one by one, then the sixth answer costs the rest of the batch.
    expect(sentBodies.map((b) => b.length)).toEqual([10, 9, 8, 7, 6, 5]);
    expect({ sent: r.sent, dropped: r.dropped, pending: r.pending }).toEqual({ sent: 5, dropped: 11, pending: 0 });
  });

  it("refusedItems reads the indexes a 400 names, and only when every error names an item and some are left", () => {
    const body = (fields: Record<string, string>) => JSON.stringify({ error: { code: "VALIDATION_FAILED", message: "…", fields } });
    expect(refusedItems(body({ "events.2.latencyMs": "x", "events.0": "y", "events.2.variant": "z" }), "events", 5)).toEqual(
      new Set([0, 2]),
    );
    expect(refusedItems(body({ "summaries.1.flagKey": "x" }), "summaries", 3)).toEqual(new Set([1]));
    expect(refusedItems(body({ "summaries.1.flagKey": "x" }), "events", 3)).toBeNull(); // another list
    expect(refusedItems(body({ "events.1.x": "x", body: "too large" }), "events", 3)).toBeNull(); // the batch as a whole
    expect(refusedItems(body({ "events.7.x": "x" }), "events", 3)).toBeNull(); // not an item of this batch
    expect(refusedItems(body({ "events.12x": "x" }), "events", 30)).toBeNull();
    expect(refusedItems(body({ "events.0.x": "x", "events.1.x": "x" }), "events", 2)).toBeNull(); // nothing left to send
    expect(refusedItems(body({}), "events", 2)).toBeNull();
    expect(refusedItems("not json", "events", 2)).toBeNull();
    expect(refusedItems(JSON.stringify({ error: { fields: "x" } }), "events", 2)).toBeNull();
  });

  it("never buffers more than maxBuffer: the oldest are dropped and counted", async () => {
    const server = fakeServer(Array(100).fill(0));
    const r = reporterFor(server, { batchSize: 5000, maxBuffer: 100 });
    for (let i = 0; i < 250; i++) r.add(ev(i));
    expect(r.pending).toBe(100);
    expect(r.dropped).toBe(150);
  });

  it("by default folds events into one summary per flag, variant, reason and minute, counting evaluations", async () => {
    const server = fakeServer([]);
    const r = new EventReporter({ url: "http://x", sdkKey: "k", fetch: server.fetchImpl, flushIntervalMs: 60_000 });
    // A minute ago, so every event is one the API still takes (older ones are dropped before sending).
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000).toISOString();
    for (let i = 0; i < 100; i++) {
      r.add({
        flagKey: "f",
        variant: i % 4 ? "on" : "off",
        reason: "SPLIT",
        outcome: i % 10 ? "success" : "error",
        errorCode: i % 10 ? undefined : "E",
        latencyMs: i,
        targetingKey: `u${i % 30}`,
        timestamp: new Date(Date.parse(minute) + i * 100).toISOString(),
      });
    }
    expect(r.pending).toBe(2);
    await r.close();
    expect(server.batches).toEqual([]);
    const [batch] = server.summaries;
    const on = batch!.find((x) => x.variant === "on")!;
    const off = batch!.find((x) => x.variant === "off")!;
    expect(on).toMatchObject({ flagKey: "f", reason: "SPLIT", minute, requests: 75, errors: 5, errorsByCode: { E: 5 } });
    expect(off).toMatchObject({ requests: 25, errors: 5 });
    expect(on.latencyBuckets.reduce((a, b) => a + b, 0)).toBe(75);
    expect(on.subjectsSketch).toMatch(/^[0-9a-f]{512}$/);
    expect(new Set(on.errorSubjects).size).toBe(on.errorSubjects!.length);
    expect(r.sent).toBe(100);
  });

  it("keeps each variant of a flag with variants in a summary of its own, and names it", async () => {
    const server = fakeServer([]);
    const r = new EventReporter({ url: "http://x", sdkKey: "k", fetch: server.fetchImpl, flushIntervalMs: 60_000 });
    const timestamp = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 30_000).toISOString();
    const names = ["control", "blue", undefined];
    for (let i = 0; i < 30; i++) {
      const variantName = names[i % 3];
      r.add({
        flagKey: "f",
        variant: "on",
        ...(variantName ? { variantName } : {}),
        reason: "SPLIT",
        outcome: "success",
        latencyMs: 1,
        timestamp,
      });
    }
    await r.close();
    const [batch] = server.summaries;
    expect(batch!.map((x) => [x.variantName ?? null, x.requests]).sort()).toEqual([
      [null, 10], // sorted as text: ",10" first
      ["blue", 10],
      ["control", 10],
    ]);
    expect(batch!.find((x) => x.variantName === undefined)).not.toHaveProperty("variantName");
  });
});

describe("EventReporter.close", () => {
  it("sends what was tracked while a flush was in flight, after it", async () => {
    const server = fakeServer([]);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    const slowFirst = (async (url: string, init: RequestInit) => {
      if (first) {
        first = false;
        await held;
      }
      return server.fetchImpl(url, init);
    }) as typeof fetch;
    const r = new EventReporter({ url: "http://x", sdkKey: "k", fetch: slowFirst, flushIntervalMs: 60_000 });
    const at = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000).toISOString();
    r.add({ flagKey: "early", variant: "on", reason: "SPLIT", outcome: "success", latencyMs: 1, timestamp: at });
    const inFlight = r.flush();
    r.add({ flagKey: "late", variant: "on", reason: "SPLIT", outcome: "success", latencyMs: 1, timestamp: at });
    const closing = r.close();
    release();
    await Promise.all([inFlight, closing]);
    expect(server.summaries.map((batch) => batch.map((x) => x.flagKey))).toEqual([["early"], ["late"]]);
    expect(r.pending).toBe(0);
  });
});

describe("reportedAs", () => {
  it("names the variant of a flag with variants only while it is on", () => {
    expect(reportedAs({ value: true, reason: "SPLIT", variantName: "blue" })).toEqual({
      variant: "on",
      reason: "SPLIT",
      variantName: "blue",
    });
    expect(reportedAs({ value: false, reason: "DISABLED", variantName: "disabled" })).toEqual({ variant: "off", reason: "DISABLED" });
    expect(reportedAs({ value: true, reason: "STATIC" })).toEqual({ variant: "on", reason: "STATIC" });
    expect(reportedAs({ value: true, reason: "ERROR", variantName: "disabled" })).toEqual({ variant: "on", reason: "UNKNOWN" });
  });
});

describe("EventReporter and the audience sample", () => {
  it("sends the users who entered the sample, 256 a request, once; a failed send is retried, a refused one dropped", async () => {
    const server = fakeServer([503, 202, 202, 400]);
    const audience = new AudienceSampler();
    const r = new EventReporter({ url: "http://x", sdkKey: "k", fetch: server.fetchImpl, flushIntervalMs: 60_000, audience });
    for (let i = 0; i < 300; i++) audience.offer(`u${i}`, () => ({ userId: `u${i}`, properties: { plan: "pro" } }));
    await r.flush(); // 503: kept for later
    expect(server.contexts.map((c) => c.length)).toEqual([256]);
    expect(audience.freshCount).toBe(300);
    await new Promise((resolve) => setTimeout(resolve, 600)); // the backoff after a 5xx
    await r.flush();
    expect(server.contexts.map((c) => c.length)).toEqual([256, 256, 44]);
    expect(
      new Set(
        server.contexts
          .slice(1)
          .flat()
          .map((c) => c.userId),
      ).size,
    ).toBe(300);
    expect(server.contexts[1]![0]).toEqual({ userId: server.contexts[1]![0]!.userId, properties: { plan: "pro" } });
    audience.offer("u1", () => ({ userId: "u1" })); // already sent today: nothing new
    audience.offer("late", () => ({ userId: "late" }));
    await r.close(); // 400: dropped, not retried forever
    expect(server.contexts.at(-1)).toEqual([{ userId: "late" }]);
    expect(audience.freshCount).toBe(0);
  });
});
