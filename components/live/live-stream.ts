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
 * that follows the stream leaves, and the next one joins once it has rendered (the flag page's charts
 * after their scripts have loaded, which can take seconds on a phone's network). Without it the
 * connection would close and open again, missing what happened in between. An idle stream costs the
 * server nothing but a socket.
 *
 * The browser reconnects by itself after a dropped connection, but gives up for good on an answer
 * that is not a stream (a 503 while the database is unreachable, a proxy's 502 during a deploy): the
 * page would never hear of a change again until reloaded. Then a new connection is opened after
 * RETRY_MS, doubling up to MAX_RETRY_MS.
 *
 * While the page follows the stream and it has been down for STATUS_GRACE_MS, the page is told why
 * (`watchLiveStatus`): the browser only learns that the stream failed, so a HEAD request to the same
 * URL asks what a new connection would get. 401: the session ended (signed out elsewhere, expired),
 * and the page will not update again until its reader signs in; anything else: the server or its
 * database cannot be reached for now. A blip shorter than the grace shows nothing.
 */
const LINGER_MS = 10_000;
const RETRY_MS = 2_000;
const MAX_RETRY_MS = 30_000;
const STATUS_GRACE_MS = 4_000;

/** Whether what the page shows still follows the server: `live` also while nothing on it follows the stream. */
export type LiveStatus = "live" | "signed-out" | "unreachable";

/** `since`: when the page stopped following (the stream's first failure), null while it follows. */
type StatusWatcher = (status: LiveStatus, since: number | null) => void;

let status: LiveStatus = "live";
let since: number | null = null;
const statusWatchers = new Set<StatusWatcher>();

/** Calls `watcher` with the status now and on every change; opens no connection of its own. */
export function watchLiveStatus(watcher: StatusWatcher): () => void {
  statusWatchers.add(watcher);
  watcher(status, since);
  return () => statusWatchers.delete(watcher);
}

function setStatus(next: LiveStatus, from: number | null = null) {
  const nextSince = next === "live" ? null : from;
  if (next === status && nextSince === since) return;
  status = next;
  since = nextSince;
  for (const watcher of statusWatchers) watcher(next, nextSince);
}

interface Connection {
  source: EventSource;
  handlers: Map<string, Set<Handler>>;
  lastConfig: Map<string, string>;
  closing: ReturnType<typeof setTimeout> | null;
  /** Set when the connection broke; its next `open` tells RECONNECTED subscribers. */
  broken: boolean;
  retry: ReturnType<typeof setTimeout> | null;
  retryMs: number;
  /** Until the stream has been down long enough to say so. */
  grace: ReturnType<typeof setTimeout> | null;
  /** When the stream last went down (epoch ms), null while it is open. */
  downSince: number | null;
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
    if (connection.grace) clearTimeout(connection.grace);
    connection.grace = null;
    connection.downSince = null;
    setStatus("live");
    if (!connection.broken) return;
    connection.broken = false;
    dispatch(connection, RECONNECTED, "");
  });
  source.addEventListener("error", () => {
    connection.broken = true;
    connection.downSince ??= Date.now();
    if (status !== "live") void diagnose(connection);
    else if (!connection.grace) {
      connection.grace = setTimeout(() => {
        connection.grace = null;
        void diagnose(connection);
      }, STATUS_GRACE_MS);
    }
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

/** Why the stream is down, asked of the server (see STATUS_GRACE_MS); nothing once it is back. */
async function diagnose(connection: Connection) {
  const stillDown = () => shared === connection && connection.source.readyState !== EventSource.OPEN && subscribers(connection) > 0;
  if (!stillDown()) return;
  let answer: number;
  try {
    answer = (await fetch("/api/v1/live", { method: "HEAD", cache: "no-store" })).status;
  } catch {
    answer = 0; // no answer at all: the server is down or the network is
  }
  if (!stillDown()) return;
  // 200: a stream would be served now, and the next attempt will get one; say nothing new till then.
  if (answer === 401) setStatus("signed-out", connection.downSince);
  else if (answer !== 200) setStatus("unreachable", connection.downSince);
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
      grace: null,
      downSince: null,
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
      if (current.grace) clearTimeout(current.grace);
      current.source.close();
      if (shared === current) shared = null;
      // Nothing on the page follows the server any more, so nothing on it has stopped following.
      setStatus("live");
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
