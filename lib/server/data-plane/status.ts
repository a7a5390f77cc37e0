import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "../../db/client";
import { nodeHeaders, postgresIdentity, resolvePrincipal } from "../../auth/identity";
import { requireUser } from "../../auth/principal";
import type { ConfigStore } from "../../evaluation/config-store";
import { pathOf, sendError, sendJson } from "./http-utils";
import type { StreamStats } from "./stream";

const PATH = "/api/v1/status";

/**
 * `GET /api/v1/status` (any signed-in user): this instance's view of the data plane — the
 * configuration version and flag count it serves per environment, how it applied changes (one flag
 * patched vs. the whole environment reloaded), its SDK streams and its memory. For operators, and for
 * the fan-out benchmark, which checks that a one-flag change is not a full reload.
 */
export function statusRoute(store: ConfigStore, db: Db, streams: StreamStats) {
  const identity = postgresIdentity(db);
  const startedAt = Date.now();
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (pathOf(req) !== PATH) return false;
    try {
      if (req.method !== "GET" && req.method !== "HEAD") {
        sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: "use GET" } }, { allow: "GET" });
        return true;
      }
      requireUser(await resolvePrincipal(identity, nodeHeaders(req)));
      const memory = process.memoryUsage();
      sendJson(res, 200, {
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        environments: store
          .environments()
          .sort()
          .map((key) => {
            const snapshot = store.snapshot(key)!;
            return { key, version: snapshot.version, flags: snapshot.flags.size };
          }),
        configReloads: { ...store.reloads },
        streams: { ...streams },
        memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
      });
    } catch (err) {
      await sendError(res, err);
    }
    return true;
  };
}
