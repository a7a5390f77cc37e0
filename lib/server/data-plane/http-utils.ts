import type { IncomingMessage, ServerResponse } from "node:http";
import { errorResponse } from "../../api/http";
import { nodeHeaders, sdkTokenFrom } from "../../auth/identity";
import { RETRY_AFTER_SECONDS, unavailableSummary } from "../../db/availability";

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(payload);
}

/** Any error, answered as the management API answers it (lib/api/http.ts: status, body, headers). */
export async function sendError(res: ServerResponse, err: unknown): Promise<void> {
  const answer = errorResponse(err);
  sendJson(res, answer.status, await answer.text(), Object.fromEntries(answer.headers));
}

/**
 * 503 with `Retry-After` for a write the database could not take: SDKs keep what they sent and send
 * it again (`what` names the write in the log, `resend` what the client should send again).
 */
export function sendDatabaseUnavailable(res: ServerResponse, err: unknown, what: string, resend: string): void {
  console.error(`database unavailable: ${what}: ${unavailableSummary(err)}`);
  sendJson(
    res,
    503,
    { error: { code: "DATABASE_UNAVAILABLE", message: `The database is unavailable; send ${resend} again shortly` } },
    { "retry-after": String(RETRY_AFTER_SECONDS) },
  );
}

/** `Authorization: Bearer <t>` or `X-API-Key: <t>`, parsed like every other entry point does. */
export function tokenFrom(req: IncomingMessage): string | undefined {
  return sdkTokenFrom(nodeHeaders(req));
}

export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Browser SDKs (e.g. the OpenFeature web provider) call the data plane cross-origin. Credentials are
 * explicit headers, never cookies, so any origin may call; the token decides what it gets.
 * Returns true when the request was a preflight and has been answered.
 */
export function handleCors(req: IncomingMessage, res: ServerResponse, methods: string): boolean {
  res.setHeader("access-control-allow-origin", "*");
  res.setHeader("access-control-expose-headers", "ETag, Retry-After");
  if (req.method !== "OPTIONS") return false;
  res.writeHead(204, {
    "access-control-allow-methods": `${methods}, OPTIONS`,
    "access-control-allow-headers": "Authorization, Content-Type, X-API-Key, If-None-Match, Last-Event-ID",
    "access-control-max-age": "86400",
  });
  res.end();
  return true;
}

const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

/**
 * Writes to a long-lived stream unless the client has stopped reading: past 4 MiB of unsent data the
 * connection is closed instead of buffering without bound. Stream clients reconnect and catch up
 * from the version they hold, so nothing is lost but the stale backlog. Returns whether it wrote.
 * A Buffer shared by all subscribers saves encoding the same text once per connection.
 */
export function writeOrDrop(res: ServerResponse, chunk: string | Buffer): boolean {
  if (res.destroyed) return false;
  if (res.writableLength > MAX_UNSENT_BYTES) {
    res.destroy();
    return false;
  }
  res.write(chunk);
  return true;
}

/**
 * Starts a Server-Sent Events response with a reconnect hint and a heartbeat comment (so proxies
 * keep the connection open); `onClose` runs once when the client goes away or the returned `end` is
 * called (the server ending the stream, e.g. because its credential was revoked).
 */
export function openEventStream(
  req: IncomingMessage,
  res: ServerResponse,
  options: { retryMs: number; heartbeatMs: number; onClose: () => void },
): { end(): void } {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  res.socket?.setNoDelay(true);
  res.write(`retry: ${options.retryMs}\n\n`);
  const heartbeat = setInterval(() => writeOrDrop(res, `: heartbeat ${Date.now()}\n\n`), options.heartbeatMs);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    options.onClose();
  };
  req.on("close", close);
  res.on("error", close);
  // A client that hung up while the route awaited (authentication may ask the database) had its
  // "close" before the listener above, and it does not come again: without this its subscriptions,
  // heartbeat and rechecks would live on for good.
  if (req.destroyed || res.destroyed) close();
  return {
    end() {
      close();
      if (!res.destroyed && !res.writableEnded) res.end();
    },
  };
}
