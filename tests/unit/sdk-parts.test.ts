import { describe, expect, it } from "vitest";
import { SseParser } from "../../lib/sdk/sse-parser";
import { EventReporter, type ReportedEvent } from "../../lib/sdk/event-reporter";

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
  const fetchImpl = (async (_url: string, init: RequestInit) => {
    const status = statuses.shift() ?? 202;
    if (status === 0) throw new TypeError("fetch failed");
    batches.push((JSON.parse(String(init.body)) as { events: ReportedEvent[] }).events);
    return new Response("{}", { status });
  }) as unknown as typeof fetch;
  return { fetchImpl, batches };
}

const ev = (i: number): ReportedEvent => ({ flagKey: "f", variant: "on", outcome: "success", latencyMs: i });

describe("EventReporter", () => {
  it("sends in batches of batchSize", async () => {
    const server = fakeServer([]);
    const r = new EventReporter({ url: "http://x", sdkKey: "k", fetch: server.fetchImpl, batchSize: 3, flushIntervalMs: 60_000 });
    for (let i = 0; i < 7; i++) r.add(ev(i));
    await r.close();
    expect(server.batches.map((b) => b.map((e) => e.latencyMs))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(r.sent).toBe(7);
    expect(r.pending).toBe(0);
  });

  it("keeps a batch after a network error or 503 and sends it on retry", async () => {
    const server = fakeServer([0, 503, 202]);
    const r = new EventReporter({ url: "http://x", sdkKey: "k", fetch: server.fetchImpl, batchSize: 10, flushIntervalMs: 60_000 });
    r.add(ev(1));
    await r.flush();
    expect(r.pending).toBe(1);
    await r.close(); // close retries immediately
    expect(r.pending).toBe(1); // the 503
    await r.close();
    expect(r.pending).toBe(0);
    expect(r.sent).toBe(1);
  });

  it("drops a batch the server rejects as invalid", async () => {
    const errors: Error[] = [];
    const server = fakeServer([400]);
    const r = new EventReporter({
      url: "http://x",
      sdkKey: "k",
      fetch: server.fetchImpl,
      flushIntervalMs: 60_000,
      onError: (e) => errors.push(e),
    });
    r.add(ev(1));
    await r.close();
    expect(r.pending).toBe(0);
    expect(r.dropped).toBe(1);
    expect(errors[0]?.message).toMatch(/HTTP 400/);
  });

  it("never buffers more than maxBuffer: the oldest are dropped and counted", async () => {
    const server = fakeServer(Array(100).fill(0));
    const r = new EventReporter({
      url: "http://x",
      sdkKey: "k",
      fetch: server.fetchImpl,
      batchSize: 5000,
      maxBuffer: 100,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 250; i++) r.add(ev(i));
    expect(r.pending).toBe(100);
    expect(r.dropped).toBe(150);
  });
});
