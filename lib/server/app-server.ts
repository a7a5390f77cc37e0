import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import next from "next";
import { loadAppRoutes } from "./app-routes";
import { refuseMalformed } from "./request-guard";
import { applyProxyPolicy, setSecurityHeaders } from "./origin";

/** Handles a request itself and returns true, or returns false to let Next serve it. */
export type DataPlaneRoute = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface AppServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/**
 * One Node process: data-plane routes (added by the evaluation issue) answer directly from memory,
 * everything else — dashboard pages, server actions, management API — goes to Next's handler.
 */
export async function startAppServer(options: {
  dir: string;
  dev: boolean;
  host: string;
  port: number;
  dataPlane?: DataPlaneRoute[];
  /** Believe X-Forwarded-* (ROLLGATE_TRUST_PROXY=1): only when a proxy in front sets them. */
  trustProxy?: boolean;
}): Promise<AppServer> {
  // Listen first: Next builds URLs to itself (redirect payloads of server actions) from the port it
  // is given, so with PORT=0 it must learn the one the OS chose.
  let ready: (handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>) => void = () => {};
  const handlerReady = new Promise<(req: IncomingMessage, res: ServerResponse) => Promise<void>>((resolve) => (ready = resolve));
  const routes = options.dataPlane ?? [];
  const server = createServer(async (req, res) => {
    applyProxyPolicy(req, options.trustProxy ?? false);
    setSecurityHeaders(res);
    try {
      for (const route of routes) if (await route(req, res)) return;
      await (
        await handlerReady
      )(req, res);
    } catch (err) {
      console.error("request failed", req.method, req.url, err);
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify({ error: { code: "INTERNAL", message: "Internal server error" } }));
      } else res.destroy();
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const app = next({ dev: options.dev, dir: options.dir, hostname: options.host, port });
  await app.prepare();
  const handle = app.getRequestHandler();
  const appRoutes = options.dev ? null : loadAppRoutes(options.dir);
  ready(async (req, res) => {
    if (await refuseMalformed(req, res, appRoutes)) return;
    await handle(req, res);
  });
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => app.close?.()),
  };
}
