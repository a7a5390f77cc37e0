import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "../../db/client";
import { nodeHeaders, postgresIdentity, resolvePrincipal } from "../../auth/identity";
import type { CompiledSnapshot } from "../../domain/config-snapshot";
import type { ConfigStore } from "../../evaluation/config-store";
import { openEventStream, pathOf, sendJson, writeOrDrop } from "./http-utils";

const PATH = "/api/v1/live";

/**
 * Server-Sent Events for the dashboard (session cookie or user token): every environment's snapshot
 * on connect and each one again when it changes, so open pages learn about changes made elsewhere;
 * `rollout` when a rollout changes and `metrics` when new events landed for some flags.
 * Identity is checked once per connection, not per event.
 */
export function liveRoute(store: ConfigStore, db: Db, options: { heartbeatMs?: number } = {}) {
  const identity = postgresIdentity(db);
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (pathOf(req) !== PATH) return false;
    if (req.method !== "GET") {
      sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: "use GET" } }, { allow: "GET" });
      return true;
    }
    const principal = await resolvePrincipal(identity, nodeHeaders(req));
    if (!principal || principal.kind !== "user") {
      sendJson(res, 401, { error: { code: "UNAUTHENTICATED", message: "sign in first" } });
      return true;
    }
    const send = (snapshot: CompiledSnapshot) => writeOrDrop(res, `event: config\ndata: ${snapshot.json}\n\n`);
    const unsubscribeConfig = store.subscribeAll(send);
    // Rollout pages refresh on these; the event names the rollout only, never its content.
    const unsubscribeRollouts = store.subscribeRollouts((id) => writeOrDrop(res, `event: rollout\ndata: ${JSON.stringify({ id })}\n\n`));
    // Charts reload on these; the event names the environment and flags only, never numbers.
    const unsubscribeMetrics = store.subscribeMetrics((change) => writeOrDrop(res, `event: metrics\ndata: ${JSON.stringify(change)}\n\n`));
    const unsubscribe = () => {
      unsubscribeConfig();
      unsubscribeRollouts();
      unsubscribeMetrics();
    };
    openEventStream(req, res, { retryMs: 2000, heartbeatMs: options.heartbeatMs ?? 15_000, onClose: unsubscribe });
    for (const env of store.environments()) {
      const current = store.snapshot(env);
      if (current) send(current);
    }
    return true;
  };
}
