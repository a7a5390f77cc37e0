// The dashboard's shared stream connection (components/live/live-stream.ts) against a stand-in for
// the browser's EventSource that records what the module does with it and lets a test play the
// server: open, deliver an event, break the connection.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RECONNECTED, subscribeLive, watchLiveStatus, type LiveStatus } from "@/components/live/live-stream";

class StandInEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static made: StandInEventSource[] = [];
  readyState = StandInEventSource.CONNECTING;
  private listeners = new Map<string, ((e: { data: string }) => void)[]>();
  constructor(readonly url: string) {
    StandInEventSource.made.push(this);
  }
  addEventListener(event: string, listener: (e: { data: string }) => void) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }
  close() {
    this.readyState = StandInEventSource.CLOSED;
  }
  /** What the browser does when the server answers with a stream. */
  opened() {
    this.readyState = StandInEventSource.OPEN;
    this.fire("open", "");
  }
  event(name: string, data: string) {
    this.fire(name, data);
  }
  /** The connection dropped: the browser will retry by itself (`retry`) or has given up (`closed`). */
  broke(then: "retry" | "closed") {
    this.readyState = then === "retry" ? StandInEventSource.CONNECTING : StandInEventSource.CLOSED;
    this.fire("error", "");
  }
  private fire(name: string, data: string) {
    for (const listener of this.listeners.get(name) ?? []) listener({ data });
  }
}

const live = () => StandInEventSource.made.filter((s) => s.readyState !== StandInEventSource.CLOSED);

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal("EventSource", StandInEventSource);
  StandInEventSource.made = [];
});

afterEach(async () => {
  // Whatever a test left subscribed has been unsubscribed by it; let the connection close.
  await vi.advanceTimersByTimeAsync(60_000);
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("the dashboard's shared stream", () => {
  it("opens one connection for every subscriber and hands each event to the ones that asked for it", () => {
    const metrics: string[] = [];
    const rollouts: string[] = [];
    const offA = subscribeLive("metrics", (d) => metrics.push(`a ${d}`));
    const offB = subscribeLive("metrics", (d) => metrics.push(`b ${d}`));
    const offC = subscribeLive("rollout", (d) => rollouts.push(d));
    expect(StandInEventSource.made.map((s) => s.url)).toEqual(["/api/v1/live"]);
    const [source] = StandInEventSource.made;
    source!.opened();
    source!.event("metrics", "m1");
    source!.event("rollout", "r1");
    expect(metrics).toEqual(["a m1", "b m1"]);
    expect(rollouts).toEqual(["r1"]);
    offA();
    offB();
    offC();
  });

  it("keeps the connection for a subscriber that joins within ten seconds of the last one leaving, and closes it after", async () => {
    const off = subscribeLive("config", () => {});
    StandInEventSource.made[0]!.opened();
    off();
    await vi.advanceTimersByTimeAsync(9_000);
    // The next page's part, a moment later: the same connection.
    const seen: string[] = [];
    const offNext = subscribeLive("metrics", (d) => seen.push(d));
    StandInEventSource.made[0]!.event("metrics", "after the move");
    expect(StandInEventSource.made).toHaveLength(1);
    expect(seen).toEqual(["after the move"]);
    offNext();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(live()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(live()).toHaveLength(0);
    // And the next subscriber opens a new one.
    const offLater = subscribeLive("metrics", () => {});
    expect(StandInEventSource.made).toHaveLength(2);
    offLater();
  });

  it("hands a subscriber that joins an open connection the latest config version of each environment", async () => {
    const offFirst = subscribeLive("config", () => {});
    const source = StandInEventSource.made[0]!;
    source.opened();
    source.event("config", JSON.stringify({ environment: "staging", version: 3 }));
    source.event("config", JSON.stringify({ environment: "production", version: 7 }));
    source.event("config", JSON.stringify({ environment: "staging", version: 4 }));
    const replayed: string[] = [];
    const offSecond = subscribeLive("config", (d) => replayed.push(d));
    await Promise.resolve();
    expect(replayed.map((d) => JSON.parse(d) as unknown)).toEqual([
      { environment: "staging", version: 4 },
      { environment: "production", version: 7 },
    ]);
    offFirst();
    offSecond();
  });

  it("tells RECONNECTED subscribers when the browser's own retry brings the connection back, not on the first open", () => {
    let reconnected = 0;
    const off = subscribeLive(RECONNECTED, () => reconnected++);
    const offMetrics = subscribeLive("metrics", () => {});
    const source = StandInEventSource.made[0]!;
    source.opened();
    expect(reconnected).toBe(0);
    source.broke("retry");
    source.opened();
    expect(reconnected).toBe(1);
    expect(StandInEventSource.made).toHaveLength(1);
    off();
    offMetrics();
  });

  it("opens a new connection when the browser gives up (an answer that is not a stream), backing off, and delivers its events", async () => {
    const seen: string[] = [];
    let reconnected = 0;
    const off = subscribeLive("metrics", (d) => seen.push(d));
    const offReconnected = subscribeLive(RECONNECTED, () => reconnected++);
    StandInEventSource.made[0]!.opened();
    // A 503 while the database is away: the browser closes the EventSource for good.
    StandInEventSource.made[0]!.broke("closed");
    await vi.advanceTimersByTimeAsync(1_999);
    expect(StandInEventSource.made).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(StandInEventSource.made).toHaveLength(2);
    // Refused again: the next attempt waits twice as long.
    StandInEventSource.made[1]!.broke("closed");
    await vi.advanceTimersByTimeAsync(3_999);
    expect(StandInEventSource.made).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    const third = StandInEventSource.made[2]!;
    third.opened();
    expect(reconnected).toBe(1);
    third.event("metrics", "on the new connection");
    expect(seen).toEqual(["on the new connection"]);
    off();
    offReconnected();
  });

  it("stops retrying once nobody is subscribed, and a subscriber who comes back before it closes gets a live connection", async () => {
    const off = subscribeLive("metrics", () => {});
    StandInEventSource.made[0]!.broke("closed");
    off();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(StandInEventSource.made).toHaveLength(1);

    const offAgain = subscribeLive("metrics", () => {});
    expect(StandInEventSource.made).toHaveLength(2);
    StandInEventSource.made[1]!.broke("closed"); // a retry in 2 s
    await vi.advanceTimersByTimeAsync(500);
    offAgain(); // closes in 10 s, unless someone subscribes
    await vi.advanceTimersByTimeAsync(1_500); // the retry's time: nobody is subscribed, so no attempt
    expect(StandInEventSource.made).toHaveLength(2);
    const seen: string[] = [];
    const offBack = subscribeLive("metrics", (d) => seen.push(d)); // within the linger
    expect(StandInEventSource.made).toHaveLength(3);
    StandInEventSource.made[2]!.event("metrics", "m");
    expect(seen).toEqual(["m"]);
    offBack();
  });
});

describe("telling the page when the stream has stopped following the server", () => {
  /** What HEAD /api/v1/live answers: a status, or no answer at all (the server is down). */
  let head: () => Promise<{ status: number }>;
  const heads: string[] = [];
  beforeEach(() => {
    heads.length = 0;
    vi.stubGlobal("fetch", (url: string, init: { method?: string }) => {
      heads.push(`${init.method} ${url}`);
      return head();
    });
  });

  function watch(): { seen: LiveStatus[]; stop: () => void } {
    const seen: LiveStatus[] = [];
    const stop = watchLiveStatus((s) => seen.push(s));
    return { seen, stop };
  }

  /** A page following the stream, whose first connection is refused, HEAD answering `answer`, past the grace. */
  async function refusedPastGrace(answer: () => Promise<{ status: number }>) {
    head = answer;
    const watched = watch();
    const off = subscribeLive("metrics", () => {});
    StandInEventSource.made[0]!.broke("closed");
    await vi.advanceTimersByTimeAsync(4_000);
    return { ...watched, off };
  }

  it("says nothing about a blip shorter than four seconds, and opens no connection just to watch", async () => {
    head = () => Promise.resolve({ status: 503 });
    const { seen, stop } = watch();
    expect(StandInEventSource.made).toHaveLength(0);
    const off = subscribeLive("config", () => {});
    StandInEventSource.made[0]!.opened();
    StandInEventSource.made[0]!.broke("retry"); // the server restarting: the browser retries by itself
    await vi.advanceTimersByTimeAsync(3_999);
    StandInEventSource.made[0]!.opened();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen).toEqual(["live"]);
    expect(heads).toEqual([]);
    off();
    stop();
  });

  it("signed out: a refused stream whose HEAD says 401, until a stream opens again (signed in in another tab)", async () => {
    head = () => Promise.resolve({ status: 401 });
    const { seen, stop } = watch();
    let reconnected = 0;
    const off = subscribeLive("config", () => {});
    const offReconnected = subscribeLive(RECONNECTED, () => reconnected++);
    StandInEventSource.made[0]!.opened();
    // The session ended: the server closed the stream and refuses the browser's retry with a 401.
    StandInEventSource.made[0]!.broke("closed");
    await vi.advanceTimersByTimeAsync(3_999);
    expect(seen).toEqual(["live"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(heads).toEqual(["HEAD /api/v1/live"]);
    expect(seen).toEqual(["live", "signed-out"]);
    // The next attempt (opened at 2 s) is refused too: asked again, still signed out.
    StandInEventSource.made[1]!.broke("closed");
    await vi.advanceTimersByTimeAsync(0);
    expect(heads).toHaveLength(2);
    expect(seen).toEqual(["live", "signed-out"]);
    await vi.advanceTimersByTimeAsync(4_000);
    StandInEventSource.made[2]!.opened();
    expect(seen).toEqual(["live", "signed-out", "live"]);
    expect(reconnected).toBe(1);
    off();
    offReconnected();
    stop();
  });

  it("unreachable: a 503 (the database away) or no answer at all (the server down)", async () => {
    const { seen, stop, off } = await refusedPastGrace(() => Promise.resolve({ status: 503 }));
    expect(seen).toEqual(["live", "unreachable"]);
    head = () => Promise.reject(new TypeError("Failed to fetch"));
    StandInEventSource.made[1]!.broke("retry");
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual(["live", "unreachable"]);
    head = () => Promise.resolve({ status: 401 });
    StandInEventSource.made[1]!.broke("closed");
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual(["live", "unreachable", "signed-out"]);
    off();
    stop();
  });

  it("a HEAD that finds the stream would be served changes nothing: the next attempt gets it", async () => {
    const { seen, stop, off } = await refusedPastGrace(() => Promise.resolve({ status: 200 }));
    expect(heads).toHaveLength(1);
    expect(seen).toEqual(["live"]);
    off();
    stop();
  });

  it("says since when: the stream's first failure, kept through the retries, until a stream opens", async () => {
    head = () => Promise.resolve({ status: 503 });
    const seen: [LiveStatus, number | null][] = [];
    const stop = watchLiveStatus((s, since) => seen.push([s, since]));
    const off = subscribeLive("metrics", () => {});
    StandInEventSource.made[0]!.opened();
    const wentDown = new Date("2026-12-05T03:12:00Z").getTime();
    vi.setSystemTime(wentDown);
    StandInEventSource.made[0]!.broke("closed");
    await vi.advanceTimersByTimeAsync(4_000);
    StandInEventSource.made[1]!.broke("closed");
    await vi.advanceTimersByTimeAsync(0);
    head = () => Promise.resolve({ status: 401 });
    await vi.advanceTimersByTimeAsync(4_000);
    StandInEventSource.made[2]!.broke("closed");
    await vi.advanceTimersByTimeAsync(0);
    StandInEventSource.made[2]!.opened();
    expect(seen).toEqual([
      ["live", null],
      ["unreachable", wentDown],
      ["signed-out", wentDown],
      ["live", null],
    ]);
    off();
    stop();
  });

  it("is live again once nothing on the page follows the stream", async () => {
    const { seen, stop, off } = await refusedPastGrace(() => Promise.resolve({ status: 401 }));
    expect(seen).toEqual(["live", "signed-out"]);
    off();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen).toEqual(["live", "signed-out", "live"]);
    stop();
  });
});
