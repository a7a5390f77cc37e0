// Delta streaming against the real server: after the first snapshot `/api/v1/stream` sends only the
// flags that changed; a client cut off the network while changes happen catches up with the patches
// it missed when the server still has them, and with a snapshot when it is further behind, and ends
// up with exactly what the database holds either way.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import type { ConfigPatch, ConfigSnapshot } from "../../lib/domain/config-snapshot";
import { loadSnapshot } from "../../lib/evaluation/load-snapshot";
import { RollgateClient } from "../../lib/sdk";
import { SseParser, type SseMessage } from "../../lib/sdk/sse-parser";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";
import { eventually } from "../support/eventually";

const SDK = "delta-sdk-production";
/** Small enough that the "too far behind" case needs only a few hundred changes. */
const HISTORY = 120;
let proxy: TcpProxy;
/** Connected straight to the server: it shows when the server has published a change. */
let observer: RollgateClient;

async function databaseVersion(): Promise<number> {
  const { rows } = await t.sql(`SELECT config_version::int AS v FROM environments WHERE key = 'production'`);
  return rows[0].v as number;
}

async function current(client: RollgateClient, what: string): Promise<void> {
  const v = await databaseVersion();
  await eventually(() => client.version === v, 5000, `${what} reaches version ${v}`);
}

/** Deterministic PRNG, so a failure replays. */
let seed = 7;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const keys: string[] = [];

/** One configuration change, as the dashboard or another instance would commit it. */
async function change(i: number): Promise<void> {
  if (i % 10 === 0) {
    const key = `delta-${i}-${keys.length}`;
    await t.sql(`INSERT INTO flags (key, bucket_group) VALUES ($1, $2)`, [key, rnd() < 0.3 ? `group-${i}` : null]);
    keys.push(key);
  } else if (i % 25 === 0 && keys.length > 5) {
    // Archiving reloads the whole environment on the server; what it streams is still a patch.
    const [key] = keys.splice(Math.floor(rnd() * keys.length), 1);
    await t.sql(`UPDATE flags SET archived_at = now() WHERE key = $1`, [key]);
  } else {
    await t.sql(
      `UPDATE flag_states s SET enabled = $2, rollout_percent = $3, allowlist = $4, version = version + 1
         FROM flags f WHERE f.id = s.flag_id AND f.key = $1 AND s.environment_key = 'production'`,
      [keys[Math.floor(rnd() * keys.length)], rnd() < 0.8, Math.floor(rnd() * 101), rnd() < 0.3 ? [`qa-${i}`] : []],
    );
  }
}

async function expectConverged(client: RollgateClient): Promise<void> {
  await current(client, "the reconnected client");
  const truth = await loadSnapshot(t.db, "production");
  expect(client.configuration()).toEqual(truth);
}

const { t, app } = setUpTestApp({
  bootstrapTokens: `sdk:production:${SDK}`,
  env: { ROLLGATE_STREAM_HISTORY: String(HISTORY) },
  beforeStart: async (t) => {
    // Enough flags that the whole snapshot is large next to one patch.
    await t.sql(`INSERT INTO flags (key) SELECT 'bulk-' || g FROM generate_series(1, 300) g`);
    for (let i = 0; i < 10; i++) await change(i * 10);
  },
});
beforeAll(async () => {
  proxy = await startTcpProxy(app.url);
  observer = await RollgateClient.connect({ url: app.url, sdkKey: SDK });
  await current(observer, "the observer");
});
afterAll(async () => {
  await observer?.close();
  await proxy?.close();
});

describe("an SDK cut off while the configuration changes", () => {
  it("100 changes while it was away: it reconnects with its version, gets the patches it missed, and converges", async () => {
    const client = await RollgateClient.connect({ url: proxy.url, sdkKey: SDK, maxReconnectDelayMs: 300 });
    try {
      await current(client, "the client");
      const seen: number[] = [];
      client.onChange(({ version }) => seen.push(version));
      const before = client.streamStats;
      const away = client.version!;
      proxy.cut();
      await eventually(() => !client.connected, 5000, "the client notices");
      for (let i = 100; i < 200; i++) await change(i);
      await current(observer, "the server");
      const requestsBefore = proxy.requests.length;
      proxy.resume();

      await expectConverged(client);
      const reconnect = proxy.requests.slice(requestsBefore).find((r) => r.startsWith("GET /api/v1/stream"));
      expect(reconnect).toMatch(new RegExp(`^last-event-id: ${away}$`, "im"));
      const after = client.streamStats;
      expect(after.snapshots).toBe(before.snapshots); // patches only: no snapshot downloaded again
      expect(after.gaps).toBe(0);
      expect(after.patches).toBeGreaterThan(before.patches);
      // Every version it went through was newer than the last: nothing applied twice or out of order.
      expect(seen.every((v, i) => v > (i === 0 ? away : seen[i - 1]!))).toBe(true);
    } finally {
      await client.close();
    }
  });

  it(`further behind than the ${HISTORY} patches kept: it gets a snapshot and converges`, async () => {
    const client = await RollgateClient.connect({ url: proxy.url, sdkKey: SDK, maxReconnectDelayMs: 300 });
    try {
      await current(client, "the client");
      const before = client.streamStats;
      proxy.cut();
      await eventually(() => !client.connected, 5000, "the client notices");
      // One at a time, each published before the next, so each is a patch of its own in the history.
      for (let i = 200; i < 200 + HISTORY + 10; i++) {
        await change(i);
        await current(observer, "the server");
      }
      proxy.resume();

      await expectConverged(client);
      const after = client.streamStats;
      expect(after.snapshots).toBe(before.snapshots + 1);
      expect(after.gaps).toBe(0);
    } finally {
      await client.close();
    }
  });
});

interface RawStream {
  /** The next message (not counting the `retry` hint), within 5 s. */
  next(): Promise<SseMessage>;
  close(): void;
}

async function openRaw(headers: Record<string, string> = {}): Promise<RawStream> {
  const controller = new AbortController();
  const res = await fetch(`${app.url}/api/v1/stream`, {
    headers: { authorization: `Bearer ${SDK}`, ...headers },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const queue: SseMessage[] = [];
  return {
    async next() {
      const deadline = Date.now() + 5000;
      while (!queue.length) {
        if (Date.now() > deadline) throw new Error("no message within 5 s");
        const { value, done } = await reader.read();
        if (done) throw new Error("the stream ended");
        queue.push(...parser.push(decoder.decode(value, { stream: true })).filter((m) => m.retry === undefined));
      }
      return queue.shift()!;
    },
    close: () => controller.abort(),
  };
}

/** The bytes of the event as it went over the wire. */
const frameBytes = (m: SseMessage) => Buffer.byteLength(`id: ${m.id}\nevent: ${m.event}\ndata: ${m.data}\n\n`);

async function toggle(key: string, enabled: boolean): Promise<void> {
  await t.sql(
    `UPDATE flag_states s SET enabled = $2, version = version + 1 FROM flags f
      WHERE f.id = s.flag_id AND f.key = $1 AND s.environment_key = 'production'`,
    [key, enabled],
  );
}

describe("GET /api/v1/stream, event by event", () => {
  it("a snapshot on connect, then a patch with just the changed flag and the new version", async () => {
    await current(observer, "the server");
    const stream = await openRaw();
    try {
      const first = await stream.next();
      expect(first.event).toBe("config");
      const snapshot = JSON.parse(first.data) as ConfigSnapshot;
      expect(first.id).toBe(String(snapshot.version));
      expect(Object.keys(snapshot.flags).length).toBeGreaterThan(300);

      await toggle("bulk-7", false);
      const second = await stream.next();
      expect(second.event).toBe("patch");
      const patch = JSON.parse(second.data) as ConfigPatch;
      expect(patch).toEqual({
        environment: "production",
        from: snapshot.version,
        version: snapshot.version + 1,
        flags: { "bulk-7": { ...snapshot.flags["bulk-7"], enabled: false, version: snapshot.flags["bulk-7"]!.version + 1 } },
        removed: [],
      });
      expect(second.id).toBe(String(patch.version));
      expect(frameBytes(second)).toBeLessThan(400);
      expect(frameBytes(first)).toBeGreaterThan(50 * frameBytes(second));

      // Archiving a flag (a full reload on the server) streams as its removal.
      await t.sql(`UPDATE flags SET archived_at = now() WHERE key = 'bulk-8'`);
      const third = await stream.next();
      expect(third.event).toBe("patch");
      expect(JSON.parse(third.data)).toMatchObject({ from: patch.version, flags: {}, removed: ["bulk-8"] });
    } finally {
      stream.close();
    }
  });

  it("a segment edit streams every flag that uses it, one whose rollout phase serves it included", async () => {
    const rule = (values: string[]) => [
      { contextName: "email", operator: "STR_ENDS_WITH", values, inverted: false, caseInsensitive: false },
    ];
    const { rows } = await t.sql(`INSERT INTO segments (name, constraints) VALUES ('phase-staff', $1::jsonb) RETURNING id`, [
      JSON.stringify(rule(["@acme.com"])),
    ]);
    const id = rows[0].id as number;
    // As a live rollout phase sets it: the flag serves the segment beside its percentage, no strategy.
    await t.sql(
      `UPDATE flag_states s SET rollout_segments = ARRAY[$2::int], version = version + 1 FROM flags f
        WHERE f.id = s.flag_id AND f.key = $1 AND s.environment_key = 'production'`,
      ["bulk-9", id],
    );
    await current(observer, "the server");
    const stream = await openRaw();
    try {
      expect((await stream.next()).event).toBe("config");
      await t.sql(`UPDATE segments SET constraints = $2::jsonb, version = version + 1 WHERE id = $1`, [
        id,
        JSON.stringify(rule(["@acme.io"])),
      ]);
      const next = await stream.next();
      expect(next.event).toBe("patch");
      const patch = JSON.parse(next.data) as ConfigPatch;
      expect({ segments: Object.keys(patch.segments ?? {}), flags: Object.keys(patch.flags) }).toEqual({
        segments: [String(id)],
        flags: ["bulk-9"],
      });
    } finally {
      stream.close();
    }
  });

  it("Last-Event-ID: the patches missed; nothing when current; a snapshot when unknown or from the future", async () => {
    await current(observer, "the server");
    const base = observer.version!;
    await toggle("bulk-9", false);
    await current(observer, "the server");
    const missed = observer.version!;

    // Behind by one change: exactly that patch, then the next change, with no snapshot in between.
    const behind = await openRaw({ "last-event-id": String(base) });
    const current1 = await openRaw({ "last-event-id": String(missed) });
    try {
      const replay = await behind.next();
      expect(replay.event).toBe("patch");
      expect(JSON.parse(replay.data)).toMatchObject({ from: base, version: missed, flags: { "bulk-9": { enabled: false } } });
      await toggle("bulk-9", true);
      for (const stream of [behind, current1]) {
        const next = await stream.next();
        expect(next.event).toBe("patch");
        expect(JSON.parse(next.data)).toMatchObject({ from: missed, version: missed + 1, flags: { "bulk-9": { enabled: true } } });
      }
    } finally {
      behind.close();
      current1.close();
    }

    for (const id of ["not-a-version", "0", String(missed + 1_000_000), "-5"]) {
      const stream = await openRaw({ "last-event-id": id });
      try {
        const first = await stream.next();
        expect(first.event, `Last-Event-ID: ${id}`).toBe("config");
        expect(JSON.parse(first.data).version).toBe(missed + 1);
      } finally {
        stream.close();
      }
    }
  });
});
