import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "../../db/client";
import { AppError } from "../../errors";
import { eventBatchSchema } from "../../metrics/event-schemas";
import { eventTimeMs, ingestEvents } from "../../metrics/ingest-events";
import { MetricsNotifier } from "../../metrics/metrics-notifier";
import { fieldErrors } from "../../api/http";
import { parseJson } from "../../validation/json";
import { isInvalidInputError } from "../../db/db-errors";
import { BodyTooLarge, handleCors, pathOf, readBody, sendJson } from "./http-utils";
import { AUTH_CODES, type SdkAuth } from "./sdk-auth";

const PATH = "/api/v1/events";

/** `POST /api/v1/events` (SDK token): validates the whole batch, then stores it in one statement. */
export function eventsRoute(db: Db, authenticate: (req: IncomingMessage) => Promise<SdkAuth>) {
  const notifier = new MetricsNotifier(db);
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (pathOf(req) !== PATH) return false;
    const fail = (status: number, code: string, message: string, extra: Record<string, unknown> = {}) =>
      sendJson(res, status, {
        error: { code, message, ...(extra.fields ? { fields: extra.fields } : {}) },
        ...(extra.index !== undefined ? { index: extra.index } : {}),
      });
    if (handleCors(req, res, "POST")) return true;
    if (req.method !== "POST") {
      fail(405, "METHOD_NOT_ALLOWED", "use POST");
      return true;
    }
    const auth = await authenticate(req);
    if (!auth.ok) {
      sendJson(res, auth.status, { error: { code: AUTH_CODES[auth.status], message: auth.message } }, auth.headers);
      return true;
    }
    const environment = auth.environment;
    let text: string;
    try {
      text = (await readBody(req, 4_000_000)).toString("utf8");
    } catch (err) {
      if (err instanceof BodyTooLarge) fail(413, "PAYLOAD_TOO_LARGE", err.message, { fields: { body: err.message } });
      else fail(400, "VALIDATION_FAILED", "could not read the request body");
      return true;
    }
    // A batch is three levels deep; anything much deeper is not an event batch.
    const json = parseJson(text, 8);
    if (!json.ok) {
      const message = json.reason === "depth" ? "nested too deeply" : "not valid JSON";
      fail(400, "VALIDATION_FAILED", `The request body is ${message}`, { fields: { body: message } });
      return true;
    }
    const raw = json.value;
    const parsed = eventBatchSchema.safeParse(raw);
    if (!parsed.success) {
      const fields = fieldErrors(parsed.error);
      const index = parsed.error.issues
        .map((i) => (i.path[0] === "events" && typeof i.path[1] === "number" ? i.path[1] : undefined))
        .find((i) => i !== undefined);
      fail(400, "VALIDATION_FAILED", index !== undefined ? `Event ${index} is invalid; the batch was rejected` : "The request is invalid", {
        fields,
        index,
      });
      return true;
    }
    try {
      const now = new Date();
      const result = await ingestEvents(db, environment, parsed.data.events, now);
      sendJson(res, 202, result);
      if (result.accepted > 0) {
        const oldest = Math.min(...parsed.data.events.map((e) => eventTimeMs(e, now)));
        notifier.touch(environment, new Set(parsed.data.events.map((e) => e.flagKey)), oldest);
      }
    } catch (err) {
      if (err instanceof AppError) fail(400, err.code, err.message, err.details);
      else if (isInvalidInputError(err)) fail(400, "VALIDATION_FAILED", "The batch contains a value that cannot be stored");
      else {
        console.error("event ingestion failed", err);
        fail(500, "INTERNAL", "Internal server error");
      }
    }
    return true;
  };
}
