import { monitorEventLoopDelay } from "node:perf_hooks";
import { poolStats, type Db } from "../../db/client";
import type { ConfigStore } from "../../evaluation/config-store";
import type { StreamStats } from "../data-plane/stream";
import type { ReadinessProbe } from "../operations/readiness";
import type { Registry } from "./registry";

/**
 * Values that live elsewhere, copied into the registry at each scrape: reading them costs nothing
 * between scrapes, and nothing on a request path. Each returns what stops it, for a database session
 * that closes while the process goes on (scripts/start.ts).
 */

export function collectConfiguration(registry: Registry, store: ConfigStore): () => void {
  const version = registry.gauge<"environment">({
    name: "rollgate_config_version",
    help: "The configuration version this instance serves, by environment.",
    labelNames: ["environment"],
  });
  const flags = registry.gauge<"environment">({
    name: "rollgate_config_flags",
    help: "Flags in the configuration this instance serves, by environment.",
    labelNames: ["environment"],
  });
  const reloads = registry.counter<"environment" | "kind">({
    name: "rollgate_config_reloads_total",
    help: "Configuration changes applied, by environment and kind (patched: only the changed flags read; full: the whole environment).",
    labelNames: ["environment", "kind"],
  });
  const listening = registry.gauge({
    name: "rollgate_config_listening",
    help: "1 while this instance hears about configuration changes as they commit (LISTEN), 0 while it reconnects.",
  });
  return registry.onCollect(() => {
    // An environment that is gone is no longer served: its gauges go with it.
    version.reset();
    flags.reset();
    for (const environment of store.environments()) {
      const snapshot = store.snapshot(environment);
      if (!snapshot) continue;
      version.labels({ environment }).set(snapshot.version);
      flags.labels({ environment }).set(snapshot.flags.size);
    }
    for (const [environment, counts] of store.reloadsByEnvironment) {
      reloads.set({ environment, kind: "patched" }, counts.patched);
      reloads.set({ environment, kind: "full" }, counts.full);
    }
    listening.set(store.listening ? 1 : 0);
  });
}

export function collectStreams(registry: Registry, stats: StreamStats): () => void {
  const open = registry.gauge({ name: "rollgate_sdk_streams_open", help: "SDK streams (GET /api/v1/stream) open on this instance." });
  const sent = registry.counter<"kind">({
    name: "rollgate_sdk_stream_messages_total",
    help: "Configuration messages sent on SDK streams, by kind (snapshot, patch).",
    labelNames: ["kind"],
  });
  return registry.onCollect(() => {
    open.set(stats.open);
    sent.set({ kind: "snapshot" }, stats.snapshots);
    sent.set({ kind: "patch" }, stats.patches);
  });
}

export function collectDatabase(registry: Registry, pools: Record<string, Db>, readiness: ReadinessProbe): () => void {
  const connections = registry.gauge<"pool" | "state">({
    name: "rollgate_database_pool_connections",
    help: "Connections of each database pool (requests, maintenance), by state (busy, idle).",
    labelNames: ["pool", "state"],
  });
  const waiting = registry.gauge<"pool">({
    name: "rollgate_database_pool_waiting",
    help: "Queries waiting for a connection from the pool.",
    labelNames: ["pool"],
  });
  const max = registry.gauge<"pool">({
    name: "rollgate_database_pool_max",
    help: "The most connections the pool opens.",
    labelNames: ["pool"],
  });
  const up = registry.gauge({
    name: "rollgate_database_up",
    help: "1 when the database answered the last readiness check (at most 1 s old at a scrape), 0 when it did not.",
  });
  return registry.onCollect(() => {
    for (const [pool, db] of Object.entries(pools)) {
      const stats = poolStats(db);
      if (!stats) continue;
      connections.labels({ pool, state: "busy" }).set(stats.total - stats.idle);
      connections.labels({ pool, state: "idle" }).set(stats.idle);
      waiting.labels({ pool }).set(stats.waiting);
      max.labels({ pool }).set(stats.max);
    }
    up.set(readiness.databaseUp === false ? 0 : 1);
  });
}

/**
 * The process: memory, CPU and event-loop delay. Delay percentiles cover the time since the previous
 * scrape (the histogram is reset after each), so a stall shows in the scrape that follows it.
 */
export function collectProcess(registry: Registry): void {
  const rss = registry.gauge({ name: "process_resident_memory_bytes", help: "Resident memory size in bytes." });
  const heap = registry.gauge<"space">({
    name: "nodejs_heap_bytes",
    help: "V8 heap, by space (used, total), and memory outside it (external, array_buffers).",
    labelNames: ["space"],
  });
  const cpu = registry.counter({ name: "process_cpu_seconds_total", help: "User and system CPU time spent, in seconds." });
  const start = registry.gauge({ name: "process_start_time_seconds", help: "Start time of the process since the Unix epoch, in seconds." });
  const lag = registry.gauge<"quantile">({
    name: "nodejs_eventloop_lag_seconds",
    help: "Event-loop delay since the previous scrape, by quantile (0.5, 0.9, 0.99, 1 = the longest).",
    labelNames: ["quantile"],
  });
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  start.set(Math.round((Date.now() - process.uptime() * 1000) / 1000));
  registry.onCollect(() => {
    const memory = process.memoryUsage();
    rss.set(memory.rss);
    heap.labels({ space: "used" }).set(memory.heapUsed);
    heap.labels({ space: "total" }).set(memory.heapTotal);
    heap.labels({ space: "external" }).set(memory.external);
    heap.labels({ space: "array_buffers" }).set(memory.arrayBuffers);
    const usage = process.cpuUsage();
    cpu.set({}, (usage.user + usage.system) / 1e6);
    // Nanoseconds; NaN before the first sample, reported as 0.
    const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
    lag.labels({ quantile: "0.5" }).set(seconds(delay.percentile(50)));
    lag.labels({ quantile: "0.9" }).set(seconds(delay.percentile(90)));
    lag.labels({ quantile: "0.99" }).set(seconds(delay.percentile(99)));
    lag.labels({ quantile: "1" }).set(seconds(delay.max));
    delay.reset();
  });
}
