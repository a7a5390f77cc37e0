import type { Db } from "../../db/client";
import type { ConfigStore } from "../../evaluation/config-store";
import type { DataPlaneRoute } from "../app-server";
import { eventsRoute } from "./events";
import { liveRoute } from "./live";
import { MetricsCache, type IngestedChange } from "../../metrics/metrics-cache";
import { MetricsNotifier } from "../../metrics/metrics-notifier";
import { metricsRoute } from "./metrics";
import { ofrepRoute } from "./ofrep";
import { AudienceCollector } from "../../segments/audience-samples";
import { ofrepEventsRoute } from "./ofrep-events";
import { statusRoute } from "./status";
import { createStreamStats, streamRoute, type StreamStats } from "./stream";
import { unleashRoute } from "./unleash";
import { RateLimiter, sdkAuthenticator } from "./sdk-auth";
import { healthRoute, metricsEndpoint, readyRoute } from "../operations/routes";
import { readinessProbe, type ReadinessProbe } from "../operations/readiness";
import { rollgateMetrics } from "../metrics/rollgate-metrics";

/** Requests per second per SDK token and instance: far above any sane client, a brake on a runaway one. */
export const DEFAULT_SDK_RATE_LIMIT = 50_000;

/** A route the custom server answers itself, and the method + path templates it serves. */
export interface DataPlaneEntry {
  handler: DataPlaneRoute;
  serves: readonly `${"GET" | "POST"} /${string}`[];
}

/**
 * Every route answered outside Next.js. Each handler names what it serves, so the fuzz suite's
 * inventory (tests/fuzz) learns of a new route here and fails until it is fuzzed too.
 */
export function dataPlaneEntries(
  store: ConfigStore,
  db: Db,
  options: {
    sdkRateLimit?: number;
    streamStats?: StreamStats;
    readiness?: ReadinessProbe;
    metricsToken?: string;
    audienceFlushMs?: number;
  } = {},
): { entries: DataPlaneEntry[]; stop(): Promise<void> } {
  const authenticate = sdkAuthenticator(store, db, new RateLimiter(options.sdkRateLimit ?? DEFAULT_SDK_RATE_LIMIT));
  const metricsCache = new MetricsCache();
  const notifier = new MetricsNotifier(db);
  // Every ingestion path (SDK events and summaries, Unleash client metrics) announces what it stored
  // here: to this instance's metrics cache at once, so a read after the 202 sees it, and to every
  // instance by one throttled NOTIFY, at most two a second per environment for all paths together.
  const announce = (change: IngestedChange) => {
    metricsCache.invalidate(change);
    notifier.touch(change.environment, change.flags, change.sinceMs);
  };
  // Who OFREP evaluates, sampled for sizing audiences (lib/domain/audience-sample.ts), written every 10 s.
  const audience = new AudienceCollector(db).start(options.audienceFlushMs ?? 10_000);
  const streamStats = options.streamStats ?? createStreamStats();
  const readiness = options.readiness ?? defaultReadiness(store, db);
  const entries: DataPlaneEntry[] = [
    {
      handler: ofrepRoute(store, authenticate, audience),
      serves: ["POST /ofrep/v1/evaluate/flags/{key}", "POST /ofrep/v1/evaluate/flags"],
    },
    { handler: ofrepEventsRoute(store), serves: ["GET /ofrep/v1/events"] },
    // Right after evaluation (which they cost one path comparison), before anything that needs the database.
    { handler: healthRoute(), serves: ["GET /healthz"] },
    { handler: readyRoute(readiness), serves: ["GET /readyz"] },
    { handler: metricsEndpoint(() => rollgateMetrics().registry, options.metricsToken), serves: ["GET /metrics"] },
    { handler: streamRoute(store, authenticate, { stats: streamStats }), serves: ["GET /api/v1/stream"] },
    { handler: eventsRoute(store, db, authenticate, announce), serves: ["POST /api/v1/events"] },
    { handler: liveRoute(store, db), serves: ["GET /api/v1/live"] },
    {
      handler: unleashRoute(store, db, authenticate, announce),
      serves: ["GET /api/client/features", "POST /api/client/register", "POST /api/client/metrics"],
    },
    { handler: metricsRoute(store, db, metricsCache), serves: ["GET /api/v1/flags/{key}/metrics"] },
    { handler: statusRoute(store, db, streamStats), serves: ["GET /api/v1/status"] },
  ];
  return {
    entries,
    // The users sampled since the last write are written, not lost with the process.
    async stop() {
      notifier.stop();
      await audience.stop();
    },
  };
}

/** Ready when the database answers `SELECT 1` and every environment's configuration is loaded and kept current. */
export function defaultReadiness(store: ConfigStore, db: Db): ReadinessProbe {
  return readinessProbe({
    pingDatabase: () => db.$queryRaw`SELECT 1`,
    configurationProblem: () => {
      if (!store.loaded) return "not loaded";
      return store.listening ? null : "not current: reconnecting to hear about changes";
    },
  });
}
