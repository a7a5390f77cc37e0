import { connect, createServer, type Socket } from "node:net";

export interface TcpProxy {
  /** The proxy's base URL, to give a client instead of the target's. */
  url: string;
  /** The head (request line and headers) of each HTTP request that went through, in order. */
  requests: string[];
  /** Cuts every open connection and refuses new ones until `resume`: the network is down. */
  cut(): void;
  resume(): void;
  /** Sends new connections to another server (another instance behind the same load balancer). */
  retarget(target: string): void;
  close(): Promise<void>;
}

/**
 * Tracks a proxied connection's two sockets in `open` and ends both when either errors or closes, so
 * a proxy can cut every connection it holds and none outlives its other half.
 */
export function linkSockets(downstream: Socket, upstream: Socket, open: Set<Socket>): void {
  open.add(downstream).add(upstream);
  const drop = () => {
    downstream.destroy();
    upstream.destroy();
    open.delete(downstream);
    open.delete(upstream);
  };
  for (const s of [downstream, upstream]) s.on("error", drop).on("close", drop);
}

/** A TCP proxy in front of `target` (http://host:port), so a test can cut a client off the server. */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  let { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  let refusing = false;
  const server = createServer((downstream) => {
    if (refusing) {
      downstream.destroy();
      return;
    }
    const upstream = connect(Number(port), hostname);
    linkSockets(downstream, upstream, sockets);
    let head = "";
    downstream.on("data", (chunk: Buffer) => {
      // Requests on a kept-alive connection start where the previous one's head ended; streams here
      // carry no request bodies, so every chunk that starts a head is a new request.
      const text = chunk.toString("latin1");
      if (head === "" && !/^[A-Z]+ \S+ HTTP\/1\.1\r\n/.test(text)) return;
      head += text;
      const end = head.indexOf("\r\n\r\n");
      if (end !== -1) {
        requests.push(head.slice(0, end));
        head = "";
      }
    });
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the proxy has no port");
  const cut = () => {
    refusing = true;
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    cut,
    resume() {
      refusing = false;
    },
    retarget(next) {
      ({ hostname, port } = new URL(next));
    },
    close() {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
