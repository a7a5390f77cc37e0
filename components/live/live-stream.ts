"use client";

type Handler = (data: string) => void;

/**
 * A pseudo-event that never comes from the server: the connection is back after it broke (the
 * server restarted, the network dropped, a 503 while the database was away). Whatever the stream
 * said meanwhile is lost, so a subscriber that acts on events rather than on the versions the stream
 * repeats on connect (`config`) reads its data again.
 */
export const RECONNECTED = "reconnected";

/**
 * One `/api/v1/live` connection per page, shared by everything on it that follows the dashboard
 * stream (configuration versions, rollouts, metrics), opened with the first subscriber and closed
 * with the last. A browser keeps at most six HTTP/1.1 connections per origin and an EventSource holds
 * one for as long as the page is open: a connection per view, over a few tabs, left none for a save,
 * which then waited forever.
 *
 * The stream sends each environment's configuration version when it connects; a subscriber that
 * joins an open connection is handed the latest `config` event of each environment, as if it had
 * connected itself.
 *
 * The last subscriber's leaving closes the connection only after LINGER_MS: a component whose effect
 * runs again (a chart switched to another environment) or a client-side navigation to another page
 * that follows the stream leaves and joins within one commit, and would otherwise drop the
 * connection and open a new one, missing what happened in between.
 *
 * The browser reconnects by itself after a dropped connection, but gives up for good on an answer
 * that is not a stream (a 503 while the database is unreachable, a proxy's 502 during a deploy): the
 * page would never hear of a change again until reloaded. Then a new connection is opened after
 * RETRY_MS, doubling up to MAX_RETRY_MS.
 */
const LINGER_MS = 2_000;
const RETRY_MS = 2_000;
const MAX_RETRY_MS = 30_000;

interface Connection {
  source: EventSource;
  handlers: Map<string, Set<Handler>>;
  lastConfig: Map<string, string>;
  closing: ReturnType<typeof setTimeout> | null;
  /** Set when the connection broke; its next `open` tells RECONNECTED subscribers. */
  broken: boolean;
  retry: ReturnType<typeof setTimeout> | null;
  retryMs: number;
}

let shared: Connection | null = null;

function dispatch(connection: Connection, event: string, data: string) {
  if (event === "config") connection.lastConfig.set(environmentOf(data), data);
  for (const handler of connection.handlers.get(event) ?? []) handler(data);
}

function listen(connection: Connection, event: string) {
  if (event === RECONNECTED) return;
  connection.source.addEventListener(event, (e: MessageEvent<string>) => dispatch(connection, event, e.data));
}

function open(connection: Connection) {
  const source = new EventSource("/api/v1/live");
  connection.source = source;
  source.addEventListener("open", () => {
    connection.retryMs = RETRY_MS;
    if (!connection.broken) return;
    connection.broken = false;
    dispatch(connection, RECONNECTED, "");
  });
  source.addEventListener("error", () => {
    connection.broken = true;
    if (source.readyState !== EventSource.CLOSED || connection.retry || shared !== connection) return;
    connection.retry = setTimeout(() => {
      connection.retry = null;
      // Lingering with nobody subscribed: the next subscriber reopens it (below), if one comes.
      if (shared === connection && subscribers(connection) > 0) open(connection);
    }, connection.retryMs);
    connection.retryMs = Math.min(MAX_RETRY_MS, connection.retryMs * 2);
  });
  for (const event of connection.handlers.keys()) listen(connection, event);
}

export function subscribeLive(event: string, handler: Handler): () => void {
  if (!shared) {
    const connection: Connection = {
      source: null as unknown as EventSource,
      handlers: new Map(),
      lastConfig: new Map(),
      closing: null,
      broken: false,
      retry: null,
      retryMs: RETRY_MS,
    };
    open(connection);
    shared = connection;
  }
  const current = shared;
  if (current.closing) {
    clearTimeout(current.closing);
    current.closing = null;
    if (current.source.readyState === EventSource.CLOSED && !current.retry) open(current);
  }
  let handlers = current.handlers.get(event);
  if (!handlers) {
    handlers = new Set<Handler>();
    current.handlers.set(event, handlers);
    listen(current, event);
  }
  const set = handlers;
  set.add(handler);
  if (event === "config") {
    const replay = [...current.lastConfig.values()];
    queueMicrotask(() => {
      if (set.has(handler)) for (const data of replay) handler(data);
    });
  }
  return () => {
    set.delete(handler);
    if (subscribers(current) > 0 || current.closing) return;
    current.closing = setTimeout(() => {
      current.closing = null;
      if (subscribers(current) > 0) return;
      if (current.retry) clearTimeout(current.retry);
      current.source.close();
      if (shared === current) shared = null;
    }, LINGER_MS);
  };
}

function subscribers(connection: Connection): number {
  return [...connection.handlers.values()].reduce((n, set) => n + set.size, 0);
}

function environmentOf(data: string): string {
  try {
    return String((JSON.parse(data) as { environment?: unknown }).environment ?? "");
  } catch {
    return "";
  }
}
