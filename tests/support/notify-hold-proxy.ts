import { connect, createServer, type Socket } from "node:net";
import { linkSockets } from "./tcp-proxy";

export interface NotifyHoldProxy {
  /** `databaseUrl` with its host and port replaced by the proxy's, which forwards to them. */
  via(databaseUrl: string): string;
  /**
   * From now on, what PostgreSQL sends to the sessions that LISTEN on the channel (its notifications,
   * and the answers to whatever else they ask) is kept back, as a slow network would; other sessions
   * are not touched.
   */
  hold(): void;
  /** Delivers what was kept back, in order, and stops holding. */
  release(): void;
  /**
   * The same for every other session (ordinary queries): what PostgreSQL answers them from now on is
   * kept back, so a query has run in PostgreSQL while its caller still waits for the answer.
   */
  holdQueries(): void;
  /** How many bytes of answers to other sessions are kept back now. */
  heldQueryBytes(): number;
  releaseQueries(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of PostgreSQL that can delay notifications to a listener: a server's LISTEN
 * session hears of a commit a while after the committing session got its answer, which on a loaded
 * machine is a real gap, and a test can make it as long as it needs. It recognises the listening
 * session by the `LISTEN <channel>` it sends (simple query protocol, plain text).
 */
export async function startNotifyHoldProxy(channel: string): Promise<NotifyHoldProxy> {
  let target: { host: string; port: number } | null = null;
  let holding = false;
  let holdingQueries = false;
  const sockets = new Set<Socket>();
  const listeners: { downstream: Socket; held: Buffer[] }[] = [];
  const heldQueries: { downstream: Socket; chunk: Buffer }[] = [];
  const marker = Buffer.from(`LISTEN ${channel}`);

  const server = createServer((downstream) => {
    if (!target) {
      downstream.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    linkSockets(downstream, upstream, sockets);
    let listener: { downstream: Socket; held: Buffer[] } | null = null;
    downstream.on("data", (chunk: Buffer) => {
      if (!listener && chunk.includes(marker)) listeners.push((listener = { downstream, held: [] }));
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (listener && holding) listener.held.push(chunk);
      else if (!listener && holdingQueries) heldQueries.push({ downstream, chunk });
      else downstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the proxy has no port");

  return {
    via(databaseUrl) {
      const url = new URL(databaseUrl);
      target = { host: url.hostname, port: Number(url.port || 5432) };
      url.hostname = "127.0.0.1";
      url.port = String(address.port);
      return url.toString();
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const l of listeners) for (const chunk of l.held.splice(0)) l.downstream.write(chunk);
    },
    holdQueries() {
      holdingQueries = true;
    },
    heldQueryBytes() {
      return heldQueries.reduce((n, h) => n + h.chunk.length, 0);
    },
    releaseQueries() {
      holdingQueries = false;
      for (const { downstream, chunk } of heldQueries.splice(0)) downstream.write(chunk);
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
