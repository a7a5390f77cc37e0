import type { IncomingMessage, ServerResponse } from "node:http";
import type { CompiledSnapshot } from "../../domain/config-snapshot";
import type { ConfigStore } from "../../evaluation/config-store";
import { handleCors, openEventStream, pathOf, sendJson, tokenFrom, writeOrDrop } from "./http-utils";

const PATH = "/api/v1/stream";

/**
 * Server-Sent Events: the environment's full snapshot on connect and after every change, with the
 * config version as the event id, a reconnect hint, and a heartbeat comment so proxies keep the
 * connection open.
 */
export function streamRoute(store: ConfigStore, options: { heartbeatMs?: number; retryMs?: number } = {}) {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const retryMs = options.retryMs ?? 1_000;
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (pathOf(req) !== PATH) return false;
    if (handleCors(req, res, "GET")) return true;
    if (req.method !== "GET") {
      sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: "use GET" } }, { allow: "GET" });
      return true;
    }
    const token = tokenFrom(req);
    const environment = token ? store.environmentOfSdkToken(token) : undefined;
    if (!environment) {
      sendJson(
        res,
        401,
        { error: { code: "UNAUTHENTICATED", message: "send a valid SDK token" } },
        { "www-authenticate": 'Bearer realm="rollgate"' },
      );
      return true;
    }
    let lastSent = -1;
    const send = (snapshot: CompiledSnapshot) => {
      if (snapshot.version <= lastSent) return;
      lastSent = snapshot.version;
      writeOrDrop(res, `id: ${snapshot.version}\nevent: config\ndata: ${snapshot.json}\n\n`);
    };
    const unsubscribe = store.subscribe(environment, send);
    openEventStream(req, res, { retryMs, heartbeatMs, onClose: unsubscribe });
    const current = store.snapshot(environment);
    if (current) send(current);
    return true;
  };
}
