import type { IncomingMessage, ServerResponse } from "node:http";
import { toUnleashFeatures, unleashEtag } from "../../domain/unleash-features";
import type { ConfigStore } from "../../evaluation/config-store";
import { parseJson } from "../../validation/json";
import { BodyTooLarge, pathOf, readBody, sendJson } from "./http-utils";
import { AUTH_CODES, type SdkAuth } from "./sdk-auth";

const FEATURES = "/api/client/features";
const REGISTER = "/api/client/register";
const METRICS = "/api/client/metrics";

/**
 * Unleash's client API, so services keep their Unleash SDKs and change only the URL and the token
 * (a Rollgate SDK token): features from the same in-memory snapshot as OFREP and the stream, with
 * ETag/304 for the SDKs' polling; registration and metrics are accepted (202) and otherwise ignored.
 */
export function unleashRoute(store: ConfigStore, authenticate: (req: IncomingMessage) => Promise<SdkAuth>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = pathOf(req);
    if (path !== FEATURES && path !== REGISTER && path !== METRICS) return false;
    const method = path === FEATURES ? "GET" : "POST";
    if (req.method !== method) {
      sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: `use ${method}` } }, { allow: method });
      return true;
    }
    // Unleash SDKs send the token as the bare Authorization value, without "Bearer".
    const raw = req.headers.authorization;
    if (raw && !/^Bearer\s/i.test(raw)) req.headers.authorization = `Bearer ${raw.trim()}`;
    const auth = await authenticate(req);
    if (!auth.ok) {
      sendJson(res, auth.status, { error: { code: AUTH_CODES[auth.status], message: auth.message } }, auth.headers);
      return true;
    }
    if (path !== FEATURES) {
      try {
        const body = (await readBody(req, 1_000_000)).toString("utf8");
        const parsed = parseJson(body.trim() === "" ? "{}" : body, 16);
        if (!parsed.ok || typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value)) {
          sendJson(res, 400, {
            error: { code: "VALIDATION_FAILED", message: "The request body must be a JSON object", fields: { body: "not a JSON object" } },
          });
          return true;
        }
      } catch (err) {
        if (err instanceof BodyTooLarge)
          sendJson(res, 413, { error: { code: "PAYLOAD_TOO_LARGE", message: err.message, fields: { body: err.message } } });
        else sendJson(res, 400, { error: { code: "VALIDATION_FAILED", message: "could not read the request body" } });
        return true;
      }
      res.writeHead(202, { "cache-control": "no-store" });
      res.end();
      return true;
    }
    const snapshot = store.snapshot(auth.environment);
    if (!snapshot) {
      sendJson(
        res,
        503,
        { error: { code: "UNAVAILABLE", message: "configuration for this environment is still loading; retry shortly" } },
        { "retry-after": "1" },
      );
      return true;
    }
    const etag = unleashEtag(snapshot);
    const ifNoneMatch = req.headers["if-none-match"];
    if (ifNoneMatch && ifNoneMatch.split(",").some((t) => t.trim().replace(/^W\//, "") === etag)) {
      res.writeHead(304, { etag, "cache-control": "no-cache" });
      res.end();
      return true;
    }
    sendJson(res, 200, toUnleashFeatures(snapshot), { etag, "cache-control": "no-cache" });
    return true;
  };
}
