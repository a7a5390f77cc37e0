import http from "node:http";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { openEventStream } from "@/lib/server/data-plane/http-utils";

/**
 * A route that awaits before opening its stream (authentication asks the database), with a client
 * that may hang up during that wait: how many streams were closed, and how many are still open.
 */
async function streamAfterAWait(clientStays: boolean): Promise<{ closed: number; open: number }> {
  let open = 0;
  let closed = 0;
  let clientGone!: () => void;
  const gone = new Promise<void>((resolve) => (clientGone = resolve));
  let opened!: () => void;
  const streamOpened = new Promise<void>((resolve) => (opened = resolve));
  const server = http.createServer(async (req, res) => {
    req.socket.once("close", clientGone);
    // The await of the route: over when the client has gone (or at once when it stays).
    if (!clientStays) await gone;
    open++;
    openEventStream(req, res, { retryMs: 1000, heartbeatMs: 60_000, onClose: () => (open--, closed++) });
    opened();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  const abort = new AbortController();
  const request = fetch(`http://127.0.0.1:${port}/stream`, { signal: abort.signal }).catch(() => undefined);
  if (!clientStays) setTimeout(() => abort.abort(), 50);
  await streamOpened;
  const state = { closed, open };
  abort.abort();
  await request;
  server.closeAllConnections();
  server.close();
  return state;
}

describe("openEventStream", () => {
  it("closes at once a stream whose client hung up while the route awaited, whose 'close' came before the listener", async () => {
    expect(await streamAfterAWait(false)).toEqual({ closed: 1, open: 0 });
  });

  it("leaves a connected client's stream open", async () => {
    expect(await streamAfterAWait(true)).toEqual({ closed: 0, open: 1 });
  });
});
