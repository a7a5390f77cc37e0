import type { Db } from "../../db/client";
import type { ConfigStore } from "../../evaluation/config-store";
import type { DataPlaneRoute } from "../app-server";
import { eventsRoute } from "./events";
import { liveRoute } from "./live";
import { metricsRoute } from "./metrics";
import { ofrepRoute } from "./ofrep";
import { streamRoute } from "./stream";

/** A route the custom server answers itself, and the method + path templates it serves. */
export interface DataPlaneEntry {
  handler: DataPlaneRoute;
  serves: readonly `${"GET" | "POST"} /${string}`[];
}

/**
 * Every route answered outside Next.js. Each handler names what it serves, so the fuzz suite's
 * inventory (tests/fuzz) learns of a new route here and fails until it is fuzzed too.
 */
export function dataPlaneEntries(store: ConfigStore, db: Db): DataPlaneEntry[] {
  return [
    { handler: ofrepRoute(store), serves: ["POST /ofrep/v1/evaluate/flags/{key}", "POST /ofrep/v1/evaluate/flags"] },
    { handler: streamRoute(store), serves: ["GET /api/v1/stream"] },
    { handler: eventsRoute(store, db), serves: ["POST /api/v1/events"] },
    { handler: liveRoute(store, db), serves: ["GET /api/v1/live"] },
    { handler: metricsRoute(store, db), serves: ["GET /api/v1/flags/{key}/metrics"] },
  ];
}
