import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import next from "next";
import { loadAppRoutes, type AppRoutes } from "./app-routes";
import { refuseMalformed } from "./request-guard";
import { applyProxyPolicy, setPagePolicy, setSecurityHeaders } from "./origin";
import { isDatabaseUnavailableError, RETRY_AFTER_SECONDS, runWithDatabaseScope } from "../db/availability";
import { quietDatabaseOutagesOnConsole, reportDatabaseUnavailable, REQUESTS_ANSWERED_503 } from "../db/outage-log";
import { databaseUnavailablePage } from "./unavailable-page";
import { isClientAbort, LingeringResponse } from "./request-body";
import { httpMetrics } from "./metrics/http-metrics";
import { staticAssets } from "./static-assets";
import { logger, requestIdOf } from "../log/logger";
import { REQUEST_PATH_HEADER } from "../auth/return-to";
import { builtNextConfig } from "./built-next-config";

const log = logger("http");

/** Handles a request itself and returns true, or returns false to let Next serve it. */
export type DataPlaneRoute = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/**
 * Next.js answers a page whose rendering failed with 500 (or 200 when an error boundary caught it)
 * and, for a failure in a layout, an HTML shell that only shows the error after the page's scripts
 * run. When the failure was the database being unreachable (noted on the request's scope by
 * lib/db/availability.ts before the response starts), the truth is 503 with `Retry-After`, so
 * clients, load balancers and monitors wait and retry instead of reporting a bug; an HTML page is
 * replaced by one that says so without JavaScript. Other responses (RSC payloads of client-side
 * navigations, server actions) keep their body and get the status. Next writes its status through
 * writeHead, or implicitly on the first write, so those are where it is corrected.
 */
function answerOutagesWith503(res: ServerResponse, state: { databaseUnavailable: boolean }): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  let replaced = false;
  /** True when the response has been (or just was) replaced by the outage page. */
  const correct = (headers?: unknown): boolean => {
    if (replaced) return true;
    if (!state.databaseUnavailable || res.headersSent) return false;
    if (res.statusCode !== 200 && res.statusCode < 500) return false;
    const fromArgs = headers && typeof headers === "object" && !Array.isArray(headers) ? (headers as Record<string, unknown>) : {};
    const type = String(fromArgs["content-type"] ?? fromArgs["Content-Type"] ?? res.getHeader("content-type") ?? "");
    if (type.startsWith("text/html")) {
      replaced = true;
      // Next's headers described the page it meant to send; the security headers set before it stay.
      for (const name of ["content-type", "content-length", "content-encoding", "etag", "cache-control", "link", "vary"])
        res.removeHeader(name);
      const body = databaseUnavailablePage(RETRY_AFTER_SECONDS);
      writeHead(503, {
        "content-type": "text/html; charset=utf-8",
        "content-length": Buffer.byteLength(body),
        "cache-control": "no-store",
        "retry-after": String(RETRY_AFTER_SECONDS),
      });
      end(body);
      return true;
    }
    res.statusCode = 503;
    res.setHeader("retry-after", String(RETRY_AFTER_SECONDS));
    res.setHeader("cache-control", "no-store");
    return false;
  };
  // What Next still writes after the replacement goes nowhere; callbacks still run.
  const swallow = (args: unknown[]) => {
    const cb = args.find((a) => typeof a === "function") as (() => void) | undefined;
    if (cb) process.nextTick(cb);
  };
  res.writeHead = function (statusCode: number, ...rest: unknown[]) {
    res.statusCode = statusCode;
    const headers = typeof rest[0] === "string" ? rest[1] : rest[0];
    if (correct(headers)) return res;
    if (res.statusCode !== statusCode && typeof rest[0] === "string") rest.shift(); // the old status message
    return writeHead(res.statusCode, ...rest);
  } as typeof res.writeHead;
  res.write = function (...args: unknown[]) {
    if (correct()) {
      swallow(args);
      return true;
    }
    return write(...args);
  } as typeof res.write;
  res.end = function (...args: unknown[]) {
    if (correct()) {
      swallow(args);
      return res;
    }
    return end(...args);
  } as typeof res.end;
}

/**
 * Serves with the configuration the production build recorded (.next/required-server-files.json),
 * as Next's own standalone server does, through the variable that server sets. Otherwise every start
 * transpiles next.config.ts again, loading Next's native SWC compiler: about half a second of CPU for
 * a result the build already wrote down; the settings that belong to the start are read again
 * (built-next-config.ts). Without a build, Next reads next.config.ts as before.
 */
function reuseBuiltConfig(dir: string): void {
  const config = builtNextConfig(dir, process.env);
  if (config) process.env.__NEXT_PRIVATE_STANDALONE_CONFIG = JSON.stringify(config);
}

/** The path alone: query strings can carry things that do not belong in a log. */
function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

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
  /** `METHOD /template` of each data-plane route, so /metrics names their requests by route. */
  dataPlaneServes?: readonly string[];
  /** Believe X-Forwarded-* (ROLLGATE_TRUST_PROXY=1): only when a proxy in front sets them. */
  trustProxy?: boolean;
}): Promise<AppServer> {
  // Listen first: Next builds URLs to itself (redirect payloads of server actions) from the port it
  // is given, so with PORT=0 it must learn the one the OS chose.
  let ready: (handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>) => void = () => {};
  const handlerReady = new Promise<(req: IncomingMessage, res: ServerResponse) => Promise<void>>((resolve) => (ready = resolve));
  const routes = options.dataPlane ?? [];
  // Next's error logging and the data plane's 503 lines go through the outage log (one line per run).
  quietDatabaseOutagesOnConsole();
  /** Responses whose outage was reported where it was answered, so it is not counted twice. */
  const reported = new WeakSet<ServerResponse>();
  const fail = (req: IncomingMessage, res: ServerResponse, err: unknown) => {
    if (isClientAbort(err)) {
      // The client went away mid-request: no one to answer, nothing broken (and its ECONNRESET is
      // not the database's).
      res.destroy();
      return;
    }
    if (isDatabaseUnavailableError(err)) {
      reported.add(res);
      reportDatabaseUnavailable(REQUESTS_ANSWERED_503, err, { first: `${req.method} ${pathOf(req)} answered 503` });
      if (!res.headersSent) {
        res.writeHead(503, { "content-type": "application/json; charset=utf-8", "retry-after": String(RETRY_AFTER_SECONDS) });
        res.end(JSON.stringify({ error: { code: "DATABASE_UNAVAILABLE", message: "The database is unavailable; try again shortly" } }));
      } else res.destroy();
      return;
    }
    // Unexpected: the stack is logged, and the id in the answer finds it.
    const requestId = requestIdOf(req);
    log.error(`request failed: ${req.method} ${pathOf(req)}`, { requestId, error: err });
    if (!res.headersSent) {
      res.writeHead(500, { "content-type": "application/json; charset=utf-8", "x-request-id": requestId });
      res.end(JSON.stringify({ error: { code: "INTERNAL", message: "Internal server error" } }));
    } else res.destroy();
  };
  // Routes answer synchronously when they can (evaluation does): a promise per request costs its
  // async hooks in a process where Next.js keeps AsyncLocalStorage active.
  const dispatch = (req: IncomingMessage, res: ServerResponse, from: number): void => {
    try {
      for (let i = from; i < routes.length; i++) {
        const handled = routes[i]!(req, res);
        if (handled === true) return;
        if (handled !== false) {
          handled.then((done) => (done ? undefined : dispatch(req, res, i + 1))).catch((err: unknown) => fail(req, res, err));
          return;
        }
      }
      handlerReady.then((handler) => handler(req, res)).catch((err: unknown) => fail(req, res, err));
    } catch (err) {
      fail(req, res, err);
    }
  };
  let appRoutes: AppRoutes | null = null;
  const metrics = httpMetrics(options.dataPlaneServes ?? [], () => (appRoutes ? (path) => appRoutes!.template(path) : null));
  // The build's hashed assets from memory, compressed once (lib/server/static-assets.ts); in dev
  // they change under Next's hands, so Next serves them.
  const serveStatic = options.dev ? () => false : staticAssets(path.join(options.dir, ".next"));
  // Whoever answers (a data-plane route, the request guard, Next), the client reads the answer: a
  // response's end waits for the rest of its request's body (lib/server/request-body.ts).
  const server = createServer({ ServerResponse: LingeringResponse }, (req, res) => {
    metrics.track(req, res);
    applyProxyPolicy(req, options.trustProxy ?? false);
    setSecurityHeaders(res);
    if (serveStatic(req, res)) return;
    dispatch(req, res, 0);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  if (!options.dev) reuseBuiltConfig(options.dir);
  const app = next({ dev: options.dev, dir: options.dir, hostname: options.host, port });
  await app.prepare();
  const handle = app.getRequestHandler();
  appRoutes = options.dev ? null : loadAppRoutes(options.dir);
  ready(async (req, res) => {
    setPagePolicy(req, res, options.dev);
    req.headers[REQUEST_PATH_HEADER] = req.url ?? "/";
    if (await refuseMalformed(req, res, appRoutes)) return;
    await runWithDatabaseScope((state) => {
      state.requestId = requestIdOf(req);
      answerOutagesWith503(res, state);
      // Counted once it is answered: whatever failed (a page, a route, an action), this is the 503.
      // On "close", which also comes when the client hangs up before the body is through.
      res.once("close", () => {
        if (state.databaseUnavailable && res.headersSent && res.statusCode === 503 && !reported.has(res)) {
          reportDatabaseUnavailable(REQUESTS_ANSWERED_503, state.reason ?? "unknown", {
            first: `${req.method} ${pathOf(req)} answered 503`,
          });
        }
      });
      return handle(req, res);
    });
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
