"use client";

type Handler = (data: string) => void;

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
 */
const LINGER_MS = 2_000;

let shared: {
  source: EventSource;
  handlers: Map<string, Set<Handler>>;
  lastConfig: Map<string, string>;
  closing: ReturnType<typeof setTimeout> | null;
} | null = null;

export function subscribeLive(event: string, handler: Handler): () => void {
  if (!shared) {
    shared = { source: new EventSource("/api/v1/live"), handlers: new Map(), lastConfig: new Map(), closing: null };
  }
  const current = shared;
  if (current.closing) {
    clearTimeout(current.closing);
    current.closing = null;
  }
  let handlers = current.handlers.get(event);
  if (!handlers) {
    const set = new Set<Handler>();
    handlers = set;
    current.handlers.set(event, set);
    current.source.addEventListener(event, (e: MessageEvent<string>) => {
      if (event === "config") current.lastConfig.set(environmentOf(e.data), e.data);
      for (const h of set) h(e.data);
    });
  }
  handlers.add(handler);
  if (event === "config") {
    const replay = [...current.lastConfig.values()];
    queueMicrotask(() => {
      if (handlers.has(handler)) for (const data of replay) handler(data);
    });
  }
  return () => {
    handlers.delete(handler);
    if (subscribers(current) > 0 || current.closing) return;
    current.closing = setTimeout(() => {
      current.closing = null;
      if (subscribers(current) > 0) return;
      current.source.close();
      if (shared === current) shared = null;
    }, LINGER_MS);
  };
}

function subscribers(connection: NonNullable<typeof shared>): number {
  return [...connection.handlers.values()].reduce((n, set) => n + set.size, 0);
}

function environmentOf(data: string): string {
  try {
    return String((JSON.parse(data) as { environment?: unknown }).environment ?? "");
  } catch {
    return "";
  }
}
