// The SDK against a scripted stream server: it applies patches that follow the version it holds,
// ignores ones it already has, and on a gap reconnects at once without Last-Event-ID, which gets it
// a snapshot.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { ConfigPatch, ConfigSnapshot } from "../../lib/domain/config-snapshot";
import type { FlagRule } from "../../lib/domain/evaluation";
import { RollgateClient } from "../../lib/sdk";
import { eventually } from "../support/eventually";

const rule = (enabled: boolean, version: number): FlagRule => ({ enabled, killed: false, rolloutPercent: 100, allowlist: [], version });
const snapshot = (version: number, flags: Record<string, FlagRule>): string =>
  `id: ${version}\nevent: config\ndata: ${JSON.stringify({ environment: "production", version, flags } satisfies ConfigSnapshot)}\n\n`;
const patch = (from: number, version: number, flags: Record<string, FlagRule>, removed: string[] = []): string =>
  `id: ${version}\nevent: patch\ndata: ${JSON.stringify({ environment: "production", from, version, flags, removed } satisfies ConfigPatch)}\n\n`;

let server: Server | undefined;
let client: RollgateClient | undefined;
afterEach(async () => {
  await client?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  client = server = undefined;
});

/** Serves the n-th stream request with `script(n, res)`; records each request's Last-Event-ID. */
async function scriptedServer(script: (n: number, res: ServerResponse) => void) {
  const lastEventIds: (string | undefined)[] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // What the client reports on closing (its sample of users) is taken and forgotten.
    if (req.method === "POST") {
      res.writeHead(202, { "content-type": "application/json" }).end("{}");
      return;
    }
    lastEventIds.push(req.headers["last-event-id"] as string | undefined);
    res.writeHead(200, { "content-type": "text/event-stream" });
    script(lastEventIds.length, res);
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, lastEventIds };
}

describe("RollgateClient on a delta stream", () => {
  it("applies patches that follow its version, skips ones it has, and tells its listeners", async () => {
    let stream: ServerResponse | undefined;
    const { url } = await scriptedServer((_n, res) => {
      stream = res;
      res.write(snapshot(1, { a: rule(true, 1), b: rule(true, 1) }));
    });
    client = await RollgateClient.connect({ url, sdkKey: "k" });
    const seen: number[] = [];
    client.onChange(({ version }) => seen.push(version));
    stream!.write(patch(1, 2, { a: rule(false, 2) }));
    stream!.write(patch(1, 2, { a: rule(true, 9) })); // already applied (e.g. sent again by another instance)
    stream!.write(patch(2, 5, { c: rule(true, 1) }, ["b"])); // one patch may span several versions
    await eventually(() => client!.version === 5, 5000);
    expect(client.configuration()).toEqual({ environment: "production", version: 5, flags: { a: rule(false, 2), c: rule(true, 1) } });
    expect(client.isEnabled("a", "u")).toBe(false);
    expect(client.evaluate("b", "u")).toMatchObject({ errorCode: "FLAG_NOT_FOUND" });
    expect(client.streamStats).toEqual({ snapshots: 1, patches: 2, gaps: 0 });
    expect(seen).toEqual([2, 5]);
  });

  it("a version gap: it asks for a snapshot at once (no backoff, no Last-Event-ID) and ends up consistent", async () => {
    const { url, lastEventIds } = await scriptedServer((n, res) => {
      // A long reconnect hint: were the client to back off, the test would time out waiting.
      res.write("retry: 60000\n\n");
      if (n === 1) {
        res.write(snapshot(1, { a: rule(true, 1) }));
        res.write(patch(1, 2, { a: rule(false, 2) }));
        res.write(patch(3, 4, { a: rule(true, 4) })); // 2 → 3 never came
      } else {
        res.write(snapshot(4, { a: rule(true, 4), b: rule(true, 1) }));
        res.write(patch(4, 5, { b: rule(false, 2) }));
      }
    });
    client = await RollgateClient.connect({ url, sdkKey: "k" });
    await eventually(() => client!.version === 5, 5000, "the client recovers from the gap");
    expect(lastEventIds).toEqual([undefined, undefined]);
    expect(client.configuration()).toEqual({ environment: "production", version: 5, flags: { a: rule(true, 4), b: rule(false, 2) } });
    expect(client.streamStats).toEqual({ snapshots: 2, patches: 2, gaps: 1 });
  });

  it("a server that keeps sending gaps does not make it spin: after the first, it backs off", async () => {
    const { url, lastEventIds } = await scriptedServer((_n, res) => {
      res.write("retry: 200\n\n");
      res.write(snapshot(1, { a: rule(true, 1) }));
      res.write(patch(3, 4, { a: rule(false, 4) }));
    });
    client = await RollgateClient.connect({ url, sdkKey: "k" });
    await eventually(() => lastEventIds.length >= 3, 5000, "it keeps trying");
    await new Promise((r) => setTimeout(r, 1000));
    // Spinning would be hundreds of requests a second; backing off from 200 ms it is a handful.
    expect(lastEventIds.length).toBeLessThan(30);
    expect(lastEventIds.every((id) => id === undefined)).toBe(true);
    expect(client.isEnabled("a", "u")).toBe(true); // it keeps serving the last snapshot it trusted
  });

  it("reconnects after a dropped connection with the version it holds", async () => {
    const { url, lastEventIds } = await scriptedServer((n, res) => {
      res.write("retry: 10\n\n");
      if (n === 1) {
        res.write(snapshot(7, { a: rule(true, 1) }));
        res.end();
      } else {
        res.write(patch(7, 8, { a: rule(false, 2) }));
      }
    });
    client = await RollgateClient.connect({ url, sdkKey: "k" });
    await eventually(() => client!.version === 8, 5000);
    expect(lastEventIds.slice(0, 2)).toEqual([undefined, "7"]);
    expect(client.streamStats).toEqual({ snapshots: 1, patches: 1, gaps: 0 });
  });
});
