import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "../../db/client";
import { AppError } from "../../errors";
import { eventBatchSchema } from "../../metrics/event-schemas";
import type { ConfigStore } from "../../evaluation/config-store";
import { knownFlagKeys } from "../../evaluation/known-flag-keys";
import { eventTimeMs, ingestEvents } from "../../metrics/ingest-events";
import { recordAudience } from "../../segments/audience-samples";
import type { IngestedChange } from "../../metrics/metrics-cache";
import { fieldErrors } from "../../api/http";
import { parseJson } from "../../validation/json";
import { isInvalidInputError } from "../../db/db-errors";
import { isDatabaseUnavailableError } from "../../db/availability";
import { handleCors, pathOf, sendDatabaseUnavailable, sendJson } from "./http-utils";
import { BodyTooLarge, readBody } from "../request-body";
import { AUTH_CODES, type SdkAuth } from "./sdk-auth";
import { refusalReason, rollgateMetrics } from "../metrics/rollgate-metrics";
import { logger, requestIdOf } from "../../log/logger";

const dataPlaneLog = logger("data-plane");

const PATH = "/api/v1/events";

/** `POST /api/v1/events` (SDK token): validates the whole batch, then stores it in one statement. */
export function eventsRoute(
  store: ConfigStore,
  db: Db,
  authenticate: (req: IncomingMessage) => SdkAuth | Promise<SdkAuth>,
  announce: (change: IngestedChange) => void,
) {
  const metrics = rollgateMetrics();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
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
      const issue = parsed.error.issues.find((i) => (i.path[0] === "events" || i.path[0] === "summaries") && typeof i.path[1] === "number");
      const index = issue?.path[1] as number | undefined;
      const what = issue?.path[0] === "summaries" ? "Summary" : "Event";
      fail(
        400,
        "VALIDATION_FAILED",
        index !== undefined ? `${what} ${index} is invalid; the batch was rejected` : "The request is invalid",
        {
          fields,
          index,
        },
      );
      return true;
    }
    const events = parsed.data.events ?? [];
    const summaries = parsed.data.summaries ?? [];
    // A summary stands for many evaluations, so one for a flag this environment never had is a client
    // bug to report, not noise to drop. One for an archived flag is counted like its single events: it
    // was served in that minute, and the SDK held the summary when the flag went.
    const unknown = await firstUnknownFlag(store, db, environment, summaries).catch(() => -1);
    if (unknown !== -1) {
      fail(400, "VALIDATION_FAILED", `Summary ${unknown} is for an unknown flag; the batch was rejected`, {
        fields: { [`summaries.${unknown}.flagKey`]: `no flag '${summaries[unknown]!.flagKey}' in ${environment}` },
        index: unknown,
      });
      return true;
    }
    const contexts = parsed.data.contexts ?? [];
    try {
      const now = new Date();
      // Users first: recording them again is harmless, so a batch refused after this and sent again
      // still counts its events once.
      const sampled = contexts.length ? await recordAudience(db, environment, contexts, now.getTime()) : 0;
      if (events.length === 0 && summaries.length === 0) {
        sendJson(res, 202, { accepted: 0, ignored: 0, contexts: contexts.length, sampled });
        return true;
      }
      const result = await ingestEvents(db, environment, events, now, summaries, auth.tokenId, parsed.data.batchId ?? null);
      metrics.eventsIngested.labels({ environment }).inc(result.accepted);
      metrics.eventsIgnored.labels({ environment }).inc(result.ignored);
      if (result.accepted > 0) {
        const oldest = Math.min(...events.map((e) => eventTimeMs(e, now)), ...summaries.map((x) => new Date(x.minute).getTime()));
        // Before the 202, so a read after it sees the batch (see dataPlaneEntries).
        announce({ environment, flags: [...new Set([...events, ...summaries].map((e) => e.flagKey))], sinceMs: oldest });
      }
      sendJson(res, 202, contexts.length ? { ...result, contexts: contexts.length, sampled } : result);
    } catch (err) {
      if (err instanceof AppError) fail(400, err.code, err.message, err.details);
      else if (isInvalidInputError(err)) fail(400, "VALIDATION_FAILED", "The batch contains a value that cannot be stored");
      else if (isDatabaseUnavailableError(err)) sendDatabaseUnavailable(res, err, "event ingestion", "the batch");
      else {
        dataPlaneLog.error("event ingestion failed", { requestId: requestIdOf(req), error: err });
        fail(500, "INTERNAL", "Internal server error");
      }
    }
    return true;
  };
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (pathOf(req) !== PATH) return false;
    await handle(req, res);
    if (res.statusCode >= 400) metrics.eventBatchesRefused.labels({ source: "sdk", reason: refusalReason(res.statusCode) }).inc();
    return true;
  };
}

/**
 * The index of the first summary for a flag the environment never had, or -1. The store answers
 * without a query; a flag it does not serve is looked up once more, since one created a moment ago
 * (its NOTIFY not yet applied here) or archived since the SDK counted it is real, and refusing the
 * batch would lose it: SDKs drop a batch refused with 400, and with it every other flag's counts.
 */
async function firstUnknownFlag(store: ConfigStore, db: Db, environment: string, summaries: { flagKey: string }[]): Promise<number> {
  const snapshot = store.snapshot(environment);
  if (!snapshot) return -1;
  const missing = [...new Set(summaries.filter((x) => !snapshot.flags.has(x.flagKey)).map((x) => x.flagKey))];
  if (missing.length === 0) return -1;
  const known = await knownFlagKeys(db, environment, missing);
  return summaries.findIndex((x) => !snapshot.flags.has(x.flagKey) && !known.has(x.flagKey));
}
