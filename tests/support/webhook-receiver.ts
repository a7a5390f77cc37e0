import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What the receiver does with the n-th request (0-based) to a path, given its headers: answer with a status, or never. */
export type Behaviour = (n: number, headers: IncomingHttpHeaders) => number | "hang";

/** A real HTTP server on a loopback port that records every request and answers per path. */
export async function startReceiver(): Promise<{
  url(path: string, behaviour?: Behaviour): string;
  received(path: string): ReceivedRequest[];
  /** Requests held open by a "hang" behaviour, not answered yet. */
  hanging(): number;
  /** Answers every held request with 200. */
  release(): void;
  close(): Promise<void>;
}> {
  const behaviours = new Map<string, Behaviour>();
  const log = new Map<string, ReceivedRequest[]>();
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      const list = log.get(path) ?? [];
      const n = list.length;
      list.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      log.set(path, list);
      const answer = (behaviours.get(path) ?? (() => 200))(n, req.headers);
      if (answer === "hang") {
        hanging.add(res);
        // A caller that gave up (its timeout) is no longer held.
        res.on("close", () => hanging.delete(res));
        return;
      }
      res.writeHead(answer, { "content-type": "text/plain" }).end(answer < 300 ? "ok" : "nope");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url(path, behaviour) {
      if (behaviour) behaviours.set(path, behaviour);
      return `http://127.0.0.1:${port}${path}`;
    },
    received: (path) => log.get(path) ?? [],
    hanging: () => hanging.size,
    release() {
      for (const res of hanging) res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      hanging.clear();
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
