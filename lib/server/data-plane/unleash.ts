import type { IncomingMessage, ServerResponse } from "node:http";
import { fieldErrors } from "../../api/http";
import type { Db } from "../../db/client";
import { isDatabaseUnavailableError } from "../../db/availability";
import { isInvalidInputError } from "../../db/db-errors";
import { toUnleashFeatures, unleashEtag } from "../../domain/unleash-features";
import { AppError } from "../../errors";
import type { ConfigStore } from "../../evaluation/config-store";
import { ingestUnleashMetrics, unleashMetricsSchema } from "../../metrics/client-metrics";
import type { IngestedChange } from "../../metrics/metrics-cache";
import { parseJson } from "../../validation/json";
import { pathOf, sendDatabaseUnavailable, sendJson } from "./http-utils";
import { BodyTooLarge, readBody } from "../request-body";
import { AUTH_CODES, type SdkAuth } from "./sdk-auth";
import { refusalReason, rollgateMetrics } from "../metrics/rollgate-metrics";
import { logger } from "../../log/logger";

const dataPlaneLog = logger("data-plane");

const FEATURES = "/api/client/features";
const REGISTER = "/api/client/register";
const METRICS = "/api/client/metrics";

/**
 * Unleash's client API, so services keep their Unleash SDKs and change only the URL and the token
 * (a Rollgate SDK token): features from the same in-memory snapshot as OFREP and the stream, with
 * ETag/304 for the SDKs' polling. Metrics (yes/no counts per toggle) feed the flags' adoption figures;
 * registration is accepted (202) and otherwise ignored.
 */
export function unleashRoute(
  store: ConfigStore,
  db: Db,
  authenticate: (req: IncomingMessage) => SdkAuth | Promise<SdkAuth>,
  announce: (change: IngestedChange) => void,
) {
  const { eventBatchesRefused } = rollgateMetrics();
  const handle = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
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
      let text: string;
      try {
        text = (await readBody(req, 1_000_000)).toString("utf8");
      } catch (err) {
        if (err instanceof BodyTooLarge)
          sendJson(res, 413, { error: { code: "PAYLOAD_TOO_LARGE", message: err.message, fields: { body: err.message } } });
        else sendJson(res, 400, { error: { code: "VALIDATION_FAILED", message: "could not read the request body" } });
        return true;
      }
      // Unleash SDKs always send a JSON object (registration and metrics alike); anything else,
      // an empty body included, is a broken or foreign client and is told so rather than accepted.
      const body = jsonObject(text);
      if (!body.ok) {
        sendJson(res, 400, { error: { code: "VALIDATION_FAILED", message: body.message, fields: { body: body.field } } });
        return true;
      }
      if (path === METRICS) await countMetrics(db, announce, auth.environment, auth.tokenId, body.value, res);
      else {
        res.writeHead(202, { "cache-control": "no-store" });
        res.end();
      }
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
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = pathOf(req);
    if (path !== FEATURES && path !== REGISTER && path !== METRICS) return false;
    await handle(req, res, path);
    if (path === METRICS && res.statusCode >= 400)
      eventBatchesRefused.labels({ source: "unleash", reason: refusalReason(res.statusCode) }).inc();
    return true;
  };
}

/** The body as a JSON object, or why it is not one (the management API's messages: lib/api/http.ts). */
function jsonObject(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; message: string; field: string } {
  if (text.trim() === "") return { ok: false, message: "The request body must be a JSON object", field: "required" };
  const parsed = parseJson(text, 16);
  if (!parsed.ok) {
    return parsed.reason === "depth"
      ? { ok: false, message: "The request body is nested too deeply", field: "nested too deeply" }
      : { ok: false, message: "The request body is not valid JSON", field: "not valid JSON" };
  }
  const value = parsed.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, message: "The request body must be a JSON object", field: "not a JSON object" };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** `POST /api/client/metrics`: validates the whole body, then counts it in one statement (202). */
async function countMetrics(
  db: Db,
  announce: (change: IngestedChange) => void,
  environment: string,
  tokenId: string,
  body: unknown,
  res: ServerResponse,
): Promise<void> {
  const parsed = unleashMetricsSchema.safeParse(body);
  if (!parsed.success) {
    sendJson(res, 400, {
      error: {
        code: "VALIDATION_FAILED",
        message: "The metrics report is invalid; nothing was counted",
        fields: fieldErrors(parsed.error),
      },
    });
    return;
  }
  try {
    const now = new Date();
    const counted = await ingestUnleashMetrics(db, environment, parsed.data, now, tokenId);
    if (counted.length) {
      const stop = parsed.data.bucket.stop;
      const since = typeof stop === "number" ? stop : Date.parse(stop);
      // As for SDK events: announced before the 202 (see dataPlaneEntries).
      announce({ environment, flags: counted, sinceMs: since });
    }
    res.writeHead(202, { "cache-control": "no-store" });
    res.end();
  } catch (err) {
    if (err instanceof AppError) {
      sendJson(res, 400, {
        error: { code: err.code, message: err.message, ...(err.details.fields ? { fields: err.details.fields } : {}) },
      });
    } else if (isInvalidInputError(err)) {
      // A value PostgreSQL cannot take that the schema did not foresee: still the client's input.
      sendJson(res, 400, { error: { code: "VALIDATION_FAILED", message: "The metrics report contains a value that cannot be stored" } });
    } else if (isDatabaseUnavailableError(err)) {
      // Unleash SDKs keep the bucket and back off on a 503.
      sendDatabaseUnavailable(res, err, "Unleash metrics", "the metrics");
    } else {
      dataPlaneLog.error("Unleash metrics failed", { error: err });
      sendJson(res, 500, { error: { code: "INTERNAL", message: "Internal server error" } });
    }
  }
}
