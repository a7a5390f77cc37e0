import type { IncomingMessage, ServerResponse } from "node:http";
import type { CompiledSnapshot } from "../../domain/config-snapshot";
import type { ConfigStore } from "../../evaluation/config-store";
import { hashSecret } from "../../auth/secrets";
import { checkTicket, issueTicket, ticketDay } from "./event-stream-ticket";
import { handleCors, openEventStream, sendJson, writeOrDrop } from "./http-utils";

export const OFREP_EVENTS_PATH = "/ofrep/v1/events";
/** How long a hidden tab or backgrounded app keeps its stream open (OFREP's `inactivityDelaySec`). */
export const INACTIVITY_DELAY_SEC = 120;

/** OFREP 0.3's `eventStreams` entry, relative to the provider's base URL (`endpoint.requestUri`). */
export interface EventStreamEntry {
  type: "sse";
  endpoint: { requestUri: string };
  inactivityDelaySec: number;
}

const issued = new Map<string, { day: number; tokenId: string; entries: EventStreamEntry[] }>();

/**
 * The `eventStreams` a bulk answer advertises for this SDK token: the same for a whole day, so it is
 * computed once per token and day (one hash and one HMAC), not per request.
 */
export function eventStreamsFor(
  token: string,
  tokenId: string,
  environment: string,
  nowMs: number,
): { day: number; entries: EventStreamEntry[] } {
  const day = ticketDay(nowMs);
  const cached = issued.get(token);
  // The ticket names the token's id, which a token with the same secret in another database (another
  // server's, or a test's) does not share.
  if (cached && cached.day === day && cached.tokenId === tokenId) return cached;
  const ticket = issueTicket({ id: tokenId, hash: hashSecret(token), environment }, nowMs);
  const entry = {
    day,
    tokenId,
    entries: [
      {
        type: "sse" as const,
        endpoint: { requestUri: `${OFREP_EVENTS_PATH}?ticket=${encodeURIComponent(ticket)}` },
        inactivityDelaySec: INACTIVITY_DELAY_SEC,
      },
    ],
  };
  if (issued.size >= 10_000) issued.clear();
  issued.set(token, entry);
  return entry;
}

/** The event that tells a provider to fetch its bulk evaluation again; the config version is its id. */
function refetchFrame(snapshot: CompiledSnapshot, atMs: number): string {
  const data = JSON.stringify({ type: "refetchEvaluation", etag: `"${snapshot.version}"`, lastModified: Math.floor(atMs / 1000) });
  return `id: ${snapshot.version}\nevent: message\ndata: ${data}\n\n`;
}

/**
 * OFREP 0.3's change notifications (ADR-0008) for static-context providers: `GET /ofrep/v1/events`
 * with the ticket a bulk answer advertised. One `refetchEvaluation` per configuration change of the
 * ticket's environment, from the same in-memory change feed as the SDK stream. Closed when the SDK
 * token is revoked.
 */
export function ofrepEventsRoute(store: ConfigStore, options: { heartbeatMs?: number; retryMs?: number; now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  const refuse = (res: ServerResponse, message: string) => sendJson(res, 401, { errorCode: "GENERAL", errorDetails: message });

  function open(req: IncomingMessage, res: ServerResponse, { environment, tokenId }: { environment: string; tokenId: string }): void {
    let sent = -1;
    const notify = (snapshot: CompiledSnapshot) => {
      if (snapshot.version <= sent) return;
      sent = snapshot.version;
      writeOrDrop(res, refetchFrame(snapshot, now()));
    };
    const unsubscribeConfig = store.subscribe(environment, notify);
    const unsubscribeTokens = store.subscribeSdkTokens(() => {
      if (!store.sdkTokenById(tokenId)) stream.end();
    });
    const stream = openEventStream(req, res, {
      retryMs: options.retryMs ?? 1_000,
      heartbeatMs: options.heartbeatMs ?? 15_000,
      onClose: () => {
        unsubscribeConfig();
        unsubscribeTokens();
      },
    });
    // A first connection is told to refetch at once: a change between the bulk answer and this
    // connection would otherwise go unseen (a provider's conditional refetch then costs a 304). A
    // reconnect is told only when its Last-Event-ID is behind.
    const current = store.snapshot(environment);
    const header = req.headers["last-event-id"];
    const lastEventId = typeof header === "string" && /^\d{1,15}$/.test(header.trim()) ? Number(header) : -1;
    if (current && lastEventId < current.version) notify(current);
    else if (current) sent = current.version;
  }

  return (req: IncomingMessage, res: ServerResponse): boolean => {
    // Every request passes here: a target URL cannot parse (`//[`) is not ours, and must not be a 500.
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://x");
    } catch {
      return false;
    }
    if (url.pathname !== OFREP_EVENTS_PATH) return false;
    if (handleCors(req, res, "GET")) return true;
    if (req.method !== "GET") {
      sendJson(res, 405, { errorCode: "GENERAL", errorDetails: "use GET" }, { allow: "GET" });
      return true;
    }
    const ticket = url.searchParams.get("ticket");
    const check = checkTicket(ticket, (id) => store.sdkTokenById(id), now());
    if (check.ok) {
      open(req, res, check);
      return true;
    }
    // A token this store does not know yet (created a moment ago, its NOTIFY still on the way): the bulk
    // answer that issued the ticket was vouched for by the database (sdk-auth.ts), and so is the ticket.
    const tokenId = ticket?.split(".")[0] ?? "";
    if (!tokenId || store.sdkTokenById(tokenId)) {
      refuse(res, check.message);
      return true;
    }
    void store.sdkTokenByIdOrDatabase(tokenId).then((token) => {
      if (res.destroyed) return;
      const again = checkTicket(ticket, (id) => (id === tokenId ? token : undefined), now());
      if (again.ok) open(req, res, again);
      else refuse(res, again.message);
    });
    return true;
  };
}
