import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "../../db/client";
import { nodeHeaders, postgresIdentity, resolvePrincipal } from "../../auth/identity";
import type { CompiledSnapshot, ConfigPatch } from "../../domain/config-snapshot";
import type { RecordedPatch } from "../../evaluation/change-history";
import type { ConfigStore } from "../../evaluation/config-store";
import { openEventStream, pathOf, sendError, sendJson, writeOrDrop } from "./http-utils";

const PATH = "/api/v1/live";

/** Past this many flags, a change event does not list them: a page that cares fetches what it shows. */
export const LIVE_CHANGE_LIST_LIMIT = 100;
// A patch this large touches more flags than the list holds anyway; it is not parsed to find out.
const PARSE_LIMIT_BYTES = 64 * 1024;

const versionFrames = new WeakMap<CompiledSnapshot, Buffer>();
/** `{ environment, version }`: on connect, and for a change this instance has no patch for. */
function versionFrameOf(snapshot: CompiledSnapshot): Buffer {
  let frame = versionFrames.get(snapshot);
  if (!frame) {
    const data = JSON.stringify({ environment: snapshot.environment, version: snapshot.version });
    versionFrames.set(snapshot, (frame = Buffer.from(`event: config\ndata: ${data}\n\n`)));
  }
  return frame;
}

// Encoded once per change and shared by every open dashboard.
const changeFrames = new WeakMap<RecordedPatch, Buffer>();
/** `{ environment, version, flags: { key: version | null } }`: the flags a change touched (null: removed). */
function changeFrameOf(snapshot: CompiledSnapshot, patch: RecordedPatch): Buffer {
  let frame = changeFrames.get(patch);
  if (frame) return frame;
  let flags: Record<string, number | null> | undefined;
  if (patch.bytes <= PARSE_LIMIT_BYTES) {
    const parsed = JSON.parse(patch.json) as ConfigPatch;
    const keys = [...Object.keys(parsed.flags), ...parsed.removed];
    if (keys.length <= LIVE_CHANGE_LIST_LIMIT) {
      flags = Object.fromEntries(keys.map((key) => [key, snapshot.flags.get(key)?.rule.version ?? null]));
    }
  }
  const data = JSON.stringify({ environment: patch.environment, version: patch.version, ...(flags ? { flags } : {}) });
  changeFrames.set(patch, (frame = Buffer.from(`event: config\ndata: ${data}\n\n`)));
  return frame;
}

/**
 * Server-Sent Events for the dashboard (session cookie or user token). Versions only, never
 * configuration: `config` with each environment's version on connect and after every change, naming
 * the flags the change touched with their new versions when it touched at most
 * LIVE_CHANGE_LIST_LIMIT (and this instance knows which); a page compares versions and fetches what
 * it shows. At 10,000 flags a snapshot is a megabyte per environment, and no page shows them all.
 * `rollout` when a rollout changes and `metrics` when new events landed for some flags.
 * Identity is checked when the connection opens, not per event, and again whenever one of the user's
 * credentials may have ended (sign-out, password change, revoked token, user disabled: NOTIFY
 * rollgate_credentials) and every `recheckMs` (sessions also end by expiring, which sends nothing);
 * the stream closes as soon as its credential no longer resolves to the same user. HEAD answers what
 * GET would (200, 401, 503) without the stream.
 */
export function liveRoute(store: ConfigStore, db: Db, options: { heartbeatMs?: number; recheckMs?: number } = {}) {
  const identity = postgresIdentity(db);
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (pathOf(req) !== PATH) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: "use GET" } }, { allow: "GET, HEAD" });
      return true;
    }
    const headers = nodeHeaders(req);
    let principal;
    try {
      principal = await resolvePrincipal(identity, headers);
    } catch (err) {
      await sendError(res, err); // X-API-Key refused (401), or the database unreachable (503)
      return true;
    }
    if (!principal || principal.kind !== "user") {
      sendJson(res, 401, { error: { code: "UNAUTHENTICATED", message: "sign in first" } });
      return true;
    }
    if (req.method === "HEAD") {
      // Why a refused stream was refused: an EventSource is told only that it failed, so the page asks
      // this (signed out, or the database away) without opening a second stream.
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store" });
      res.end();
      return true;
    }
    const send = (snapshot: CompiledSnapshot, change?: RecordedPatch | null) =>
      writeOrDrop(res, change && change.version === snapshot.version ? changeFrameOf(snapshot, change) : versionFrameOf(snapshot));
    const unsubscribeConfig = store.subscribeAll(send);
    // Rollout pages refresh on these; the event names the rollout only, never its content.
    const unsubscribeRollouts = store.subscribeRollouts((id) => writeOrDrop(res, `event: rollout\ndata: ${JSON.stringify({ id })}\n\n`));
    // Charts reload on these; the event names the environment and flags only, never numbers.
    const unsubscribeMetrics = store.subscribeMetrics((change) => writeOrDrop(res, `event: metrics\ndata: ${JSON.stringify(change)}\n\n`));
    let checking = false;
    let again = false;
    const recheck = async () => {
      // A notification that arrives mid-check may describe a commit the check did not see: run again.
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          let now;
          try {
            now = await resolvePrincipal(identity, headers);
          } catch {
            // The database is unreachable: keep serving from memory; the next notice or timer decides.
            return;
          }
          if (!now || now.kind !== "user" || now.userId !== principal.userId) {
            stream.end();
            return;
          }
        } while (again);
      } finally {
        checking = false;
      }
    };
    const unsubscribeCredentials = store.subscribeCredentials((userId) => {
      if (userId === null || userId === principal.userId) void recheck();
    });
    const timer = setInterval(() => void recheck(), options.recheckMs ?? 60_000);
    const stream = openEventStream(req, res, {
      retryMs: 2000,
      heartbeatMs: options.heartbeatMs ?? 15_000,
      onClose: () => {
        clearInterval(timer);
        unsubscribeConfig();
        unsubscribeRollouts();
        unsubscribeMetrics();
        unsubscribeCredentials();
      },
    });
    for (const env of store.environments()) {
      const current = store.snapshot(env);
      if (current) writeOrDrop(res, versionFrameOf(current));
    }
    return true;
  };
}
