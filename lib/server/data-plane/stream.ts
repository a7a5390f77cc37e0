import type { IncomingMessage, ServerResponse } from "node:http";
import type { CompiledSnapshot } from "../../domain/config-snapshot";
import type { ConfigStore } from "../../evaluation/config-store";
import { handleCors, openEventStream, pathOf, sendJson, writeOrDrop } from "./http-utils";
import { AUTH_CODES, type SdkAuth } from "./sdk-auth";

const PATH = "/api/v1/stream";

/**
 * Server-Sent Events: the environment's full snapshot on connect and after every change, with the
 * config version as the event id, a reconnect hint, and a heartbeat comment so proxies keep the
 * connection open.
 */
export function streamRoute(
  store: ConfigStore,
  authenticate: (req: IncomingMessage) => Promise<SdkAuth>,
  options: { heartbeatMs?: number; retryMs?: number } = {},
) {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const retryMs = options.retryMs ?? 1_000;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (pathOf(req) !== PATH) return false;
    if (handleCors(req, res, "GET")) return true;
    if (req.method !== "GET") {
      sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: "use GET" } }, { allow: "GET" });
      return true;
    }
    // Only new connections count against the rate limit; open ones are never cut by it.
    const auth = await authenticate(req);
    if (!auth.ok) {
      sendJson(res, auth.status, { error: { code: AUTH_CODES[auth.status], message: auth.message } }, auth.headers);
      return true;
    }
    const { environment, token } = auth;
    let lastSent = -1;
    const send = (snapshot: CompiledSnapshot) => {
      if (snapshot.version <= lastSent) return;
      lastSent = snapshot.version;
      writeOrDrop(res, `id: ${snapshot.version}\nevent: config\ndata: ${snapshot.json}\n\n`);
    };
    const unsubscribeConfig = store.subscribe(environment, send);
    // A revoked (or deleted) token loses its open streams as soon as this instance learns of it; the
    // client's reconnect then gets the 401.
    const unsubscribeTokens = store.subscribeSdkTokens(() => {
      if (store.environmentOfSdkToken(token) !== environment) stream.end();
    });
    const stream = openEventStream(req, res, {
      retryMs,
      heartbeatMs,
      onClose: () => {
        unsubscribeConfig();
        unsubscribeTokens();
      },
    });
    const current = store.snapshot(environment);
    if (current) send(current);
    return true;
  };
}
