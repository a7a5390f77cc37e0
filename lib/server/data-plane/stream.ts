import type { IncomingMessage, ServerResponse } from "node:http";
import type { CompiledSnapshot } from "../../domain/config-snapshot";
import type { RecordedPatch } from "../../evaluation/change-history";
import type { ConfigStore } from "../../evaluation/config-store";
import { handleCors, openEventStream, pathOf, sendJson, writeOrDrop } from "./http-utils";
import { AUTH_CODES, type SdkAuth } from "./sdk-auth";

const PATH = "/api/v1/stream";

/** What the SDK streams of one instance have sent since it started (benchmarks, diagnostics). */
export interface StreamStats {
  open: number;
  snapshots: number;
  patches: number;
  /** Bytes of `config` and `patch` events written (not heartbeats). */
  bytes: number;
}

export function createStreamStats(): StreamStats {
  return { open: 0, snapshots: 0, patches: 0, bytes: 0 };
}

// Each snapshot and each patch is encoded into one frame, shared by every connection that sends it.
const snapshotFrames = new WeakMap<CompiledSnapshot, Buffer>();
const patchFrames = new WeakMap<RecordedPatch, Buffer>();

function snapshotFrame(snapshot: CompiledSnapshot): Buffer {
  let frame = snapshotFrames.get(snapshot);
  if (!frame) snapshotFrames.set(snapshot, (frame = Buffer.from(`id: ${snapshot.version}\nevent: config\ndata: ${snapshot.json}\n\n`)));
  return frame;
}

function patchFrame(patch: RecordedPatch): Buffer {
  let frame = patchFrames.get(patch);
  if (!frame) patchFrames.set(patch, (frame = Buffer.from(`id: ${patch.version}\nevent: patch\ndata: ${patch.json}\n\n`)));
  return frame;
}

/** A config version as `Last-Event-ID` carries it; anything else counts as absent. */
function versionOf(header: string | string[] | undefined): number | undefined {
  if (typeof header !== "string" || !/^\d{1,15}$/.test(header.trim())) return undefined;
  return Number(header.trim());
}

/**
 * Server-Sent Events: the environment's snapshot (`event: config`) on connect, then one
 * `event: patch` per change with only the flags that changed; the config version is the event id.
 * A client reconnecting with `Last-Event-ID` gets the patches it missed when this instance still has
 * them, else a snapshot. A reconnect hint, and a heartbeat comment so proxies keep the connection
 * open.
 */
export function streamRoute(
  store: ConfigStore,
  authenticate: (req: IncomingMessage) => SdkAuth | Promise<SdkAuth>,
  options: { heartbeatMs?: number; retryMs?: number; stats?: StreamStats } = {},
) {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const retryMs = options.retryMs ?? 1_000;
  const stats = options.stats ?? createStreamStats();
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (pathOf(req) !== PATH) return false;
    if (handleCors(req, res, "GET")) return true;
    if (req.method !== "GET") {
      sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: "use GET" } }, { allow: "GET" });
      return true;
    }
    // Only new connections count against the rate limit; open ones are never cut by it.
    const auth = await authenticate(req);
    if (!auth.ok) {
      sendJson(res, auth.status, { error: { code: AUTH_CODES[auth.status], message: auth.message } }, auth.headers);
      return true;
    }
    const { environment, token } = auth;
    // The version the client holds as far as this connection knows: a patch goes out only when it
    // starts there, anything else gets the whole snapshot.
    let held = -1;
    const write = (frame: Buffer) => {
      if (writeOrDrop(res, frame)) stats.bytes += frame.length;
    };
    const sendSnapshot = (snapshot: CompiledSnapshot) => {
      held = snapshot.version;
      stats.snapshots++;
      write(snapshotFrame(snapshot));
    };
    const sendPatch = (patch: RecordedPatch) => {
      held = patch.version;
      stats.patches++;
      write(patchFrame(patch));
    };
    const unsubscribeConfig = store.subscribe(environment, (snapshot, change) => {
      if (snapshot.version <= held) return;
      if (change && change.from === held) sendPatch(change);
      else sendSnapshot(snapshot);
    });
    // A revoked (or deleted) token loses its open streams as soon as this instance learns of it; the
    // client's reconnect then gets the 401.
    const unsubscribeTokens = store.subscribeSdkTokens(() => {
      if (store.environmentOfSdkToken(token) !== environment) stream.end();
    });
    stats.open++;
    const stream = openEventStream(req, res, {
      retryMs,
      heartbeatMs,
      onClose: () => {
        stats.open--;
        unsubscribeConfig();
        unsubscribeTokens();
      },
    });
    const current = store.snapshot(environment);
    if (current) {
      // Versions come from the database, so one another instance sent is as good as one of ours.
      const lastEventId = versionOf(req.headers["last-event-id"]);
      const missed = lastEventId === undefined ? null : store.patchesSince(environment, lastEventId);
      if (missed) {
        held = lastEventId!;
        for (const patch of missed) sendPatch(patch);
      } else {
        sendSnapshot(current);
      }
    }
    return true;
  };
}
