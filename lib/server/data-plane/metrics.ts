import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "../../db/client";
import { CachedIdentity } from "../../auth/cached-identity";
import { nodeHeaders, postgresIdentity, resolvePrincipal } from "../../auth/identity";
import { fieldErrors } from "../../api/http";
import { requireUser } from "../../auth/principal";
import type { ConfigStore } from "../../evaluation/config-store";
import { getFlagMetrics, metricsJson } from "../../metrics/get-flag-metrics";
import type { MetricsCache } from "../../metrics/metrics-cache";
import { metricsQuerySchema } from "../../metrics/metrics-schemas";
import { checkParam } from "../../validation/text";
import { pathOf, sendError, sendJson } from "./http-utils";

const PATH = /^\/api\/v1\/flags\/([^/]+)\/metrics$/;

/**
 * `GET /api/v1/flags/{key}/metrics` (any signed-in user), answered by the custom server rather than
 * Next.js so that it can keep a cache of the series that every instance's metrics notifications keep
 * honest (lib/metrics/metrics-cache.ts): a chart's refresh reads at most the current bucket, not a
 * day of rollups. Who is asking is remembered for a few seconds too (lib/auth/cached-identity.ts).
 */
export function metricsRoute(store: ConfigStore, db: Db, cache: MetricsCache) {
  const identity = new CachedIdentity(postgresIdentity(db));
  let listening = false;
  // Subscribed with the first request: nothing is cached before, so nothing can go stale before.
  const listen = () => {
    if (listening) return;
    listening = true;
    store.subscribeCredentials(() => identity.clear());
    store.subscribeSdkTokens(() => identity.clear());
    store.subscribeMetrics((change) =>
      cache.invalidate({
        environment: change.environment,
        flags: change.flags,
        sinceMs: change.since ? Date.parse(change.since) : undefined,
      }),
    );
    // Every action a marker records (kill, restore, phase change) also changes a flag's configuration
    // or a rollout.
    store.subscribeAll(() => cache.invalidateMarkers());
    store.subscribeRollouts(() => cache.invalidateMarkers());
  };
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const match = PATH.exec(pathOf(req));
    if (!match) return false;
    listen();
    try {
      if (req.method !== "GET" && req.method !== "HEAD") {
        sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: "use GET" } }, { allow: "GET" });
        return true;
      }
      let key: string;
      try {
        key = decodeURIComponent(match[1]!);
      } catch {
        key = "\u0000"; // not percent-decodable: refused below like any other bad path
      }
      const checked = checkParam(key);
      if (!checked.ok) {
        sendJson(res, 400, {
          error: { code: "VALIDATION_FAILED", message: "The request path is invalid", fields: { "path.key": checked.message } },
        });
        return true;
      }
      requireUser(await resolvePrincipal(identity, nodeHeaders(req)));
      const query = metricsQuerySchema.safeParse(Object.fromEntries(new URLSearchParams(queryOf(req.url ?? ""))));
      if (!query.success) {
        sendJson(res, 400, { error: { code: "VALIDATION_FAILED", message: "The request is invalid", fields: fieldErrors(query.error) } });
        return true;
      }
      sendJson(res, 200, metricsJson(await getFlagMetrics(db, key, query.data, new Date(), cache)));
    } catch (err) {
      await sendError(res, err);
    }
    return true;
  };
}

const queryOf = (url: string) => (url.includes("?") ? url.slice(url.indexOf("?") + 1) : "");
