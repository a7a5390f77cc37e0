import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pathOf, sendJson } from "../data-plane/http-utils";
import { EXPOSITION_CONTENT_TYPE, type Registry } from "../metrics/registry";
import type { ReadinessProbe } from "./readiness";

/**
 * The probes and the metrics endpoint an orchestrator and a Prometheus server call: answered by the
 * Node server before Next.js (no session lookup, no rendering), unauthenticated except /metrics
 * when ROLLGATE_METRICS_TOKEN is set, and never logged per request.
 */

function onlyGet(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === "GET" || req.method === "HEAD") return true;
  sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: "use GET" } }, { allow: "GET, HEAD" });
  return false;
}

/** `GET /healthz`: the process is up and serving HTTP (liveness). Nothing else is consulted. */
export function healthRoute() {
  const body = JSON.stringify({ status: "ok" });
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (pathOf(req) !== "/healthz") return false;
    if (onlyGet(req, res)) sendJson(res, 200, body);
    return true;
  };
}

/** `GET /readyz`: 200 when the database answers and the configuration is loaded and current; else 503 with the reason. */
export function readyRoute(probe: ReadinessProbe) {
  return (req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean> => {
    if (pathOf(req) !== "/readyz") return false;
    if (!onlyGet(req, res)) return true;
    return probe.check().then((readiness) => {
      sendJson(res, readiness.ready ? 200 : 503, { status: readiness.ready ? "ready" : "not ready", checks: readiness.checks });
      return true;
    });
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** `GET /metrics`: the registry in Prometheus' text format; with `token`, only for `Authorization: Bearer <token>`. */
export function metricsEndpoint(registry: () => Registry, token: string | undefined) {
  const expected = token ? digest(token) : null;
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (pathOf(req) !== "/metrics") return false;
    if (!onlyGet(req, res)) return true;
    if (expected) {
      const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1]?.trim() ?? "";
      // Compared as digests, in constant time: the length of the token does not show either.
      if (!timingSafeEqual(digest(given), expected)) {
        sendJson(
          res,
          401,
          { error: { code: "UNAUTHENTICATED", message: "send the metrics token as Authorization: Bearer <ROLLGATE_METRICS_TOKEN>" } },
          { "www-authenticate": 'Bearer realm="metrics"' },
        );
        return true;
      }
    }
    const text = registry().expose();
    res.writeHead(200, {
      "content-type": EXPOSITION_CONTENT_TYPE,
      "content-length": Buffer.byteLength(text),
      "cache-control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : text);
    return true;
  };
}
