import type { IncomingMessage, ServerResponse } from "node:http";
import type { Db } from "../../db/client";
import { nodeHeaders, postgresIdentity, resolvePrincipal } from "../../auth/identity";
import type { CompiledSnapshot } from "../../domain/config-snapshot";
import type { RecordedPatch } from "../../evaluation/change-history";
import type { ConfigStore } from "../../evaluation/config-store";
import { openEventStream, pathOf, sendError, sendJson, writeOrDrop } from "./http-utils";

const PATH = "/api/v1/live";

// Encoded once per snapshot or patch and shared by every open dashboard.
const frames = new WeakMap<CompiledSnapshot, Buffer>();
function frameOf(snapshot: CompiledSnapshot): Buffer {
  let frame = frames.get(snapshot);
  if (!frame) frames.set(snapshot, (frame = Buffer.from(`event: config\ndata: ${snapshot.json}\n\n`)));
  return frame;
}
const patchFrames = new WeakMap<RecordedPatch, Buffer>();
function patchFrameOf(patch: RecordedPatch): Buffer {
  let frame = patchFrames.get(patch);
  if (!frame) patchFrames.set(patch, (frame = Buffer.from(`event: patch\ndata: ${patch.json}\n\n`)));
  return frame;
}

/**
 * Server-Sent Events for the dashboard (session cookie or user token): every environment's snapshot
 * on connect, then `patch` with just the flags that changed (a snapshot again when this instance has
 * no patch for a change), so open pages learn about changes made elsewhere without a megabyte per
 * change at 10,000 flags;
 * `rollout` when a rollout changes and `metrics` when new events landed for some flags.
 * Identity is checked when the connection opens, not per event, and again whenever one of the user's
 * credentials may have ended (sign-out, password change, revoked token, user disabled: NOTIFY
 * rollgate_credentials) and every `recheckMs` (sessions also end by expiring, which sends nothing);
 * the stream closes as soon as its credential no longer resolves to the same user.
 */
export function liveRoute(store: ConfigStore, db: Db, options: { heartbeatMs?: number; recheckMs?: number } = {}) {
  const identity = postgresIdentity(db);
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (pathOf(req) !== PATH) return false;
    if (req.method !== "GET") {
      sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: "use GET" } }, { allow: "GET" });
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
    const send = (snapshot: CompiledSnapshot, change?: RecordedPatch | null) =>
      writeOrDrop(res, change ? patchFrameOf(change) : frameOf(snapshot));
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
      if (current) send(current);
    }
    return true;
  };
}
