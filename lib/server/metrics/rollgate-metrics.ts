import { Registry } from "./registry";

/**
 * Every metric Rollgate exposes at `GET /metrics` (README, "Operating it"). Values that live
 * elsewhere (the configuration store, the pools, the process) are copied in at scrape time by
 * collectors the server registers (lib/server/metrics/collectors.ts); what happens on a request path
 * is counted here as it happens.
 */
function define() {
  const registry = new Registry();
  return {
    registry,
    httpRequests: registry.counter<"method" | "route" | "code">({
      name: "rollgate_http_requests_total",
      help: "HTTP requests answered, by method, route template and status class (2xx, 4xx, …).",
      labelNames: ["method", "route", "code"],
    }),
    httpDuration: registry.histogram<"method" | "route">({
      name: "rollgate_http_request_duration_seconds",
      help: "Time from the request's arrival to the end of its response, by method and route template (a stream's is its lifetime).",
      labelNames: ["method", "route"],
    }),
    evaluations: registry.counter<"environment" | "kind">({
      name: "rollgate_evaluations_total",
      help: "Flags evaluated over OFREP, by environment and kind (single: one per request; bulk: every flag of the environment per request).",
      labelNames: ["environment", "kind"],
    }),
    eventsIngested: registry.counter<"environment">({
      name: "rollgate_events_ingested_total",
      help: "SDK events and summaries stored by POST /api/v1/events, by environment.",
      labelNames: ["environment"],
    }),
    eventsIgnored: registry.counter<"environment">({
      name: "rollgate_events_ignored_total",
      help: "SDK events in accepted batches that were not stored (e.g. for a flag that no longer exists), by environment.",
      labelNames: ["environment"],
    }),
    eventBatchesRefused: registry.counter<"source" | "reason">({
      name: "rollgate_event_batches_refused_total",
      help: "Event batches (source sdk: POST /api/v1/events; unleash: POST /api/client/metrics) refused, by reason.",
      labelNames: ["source", "reason"],
    }),
    guardrailVerdicts: registry.counter<"action">({
      name: "rollgate_guardrail_verdicts_total",
      help: "Guardrail verdicts reached by this instance, by what followed (none, already_acted, pause, rollback, notify, dry_run).",
      labelNames: ["action"],
    }),
    databaseUnavailable: registry.counter<"kind">({
      name: "rollgate_database_unavailable_total",
      help: "Failures because the database was unavailable, by kind (requests answered 503, worker passes, …).",
      labelNames: ["kind"],
    }),
  };
}

export type RollgateMetrics = ReturnType<typeof define>;

// Next.js bundles its own copy of the modules its route handlers import (the outage log among them):
// one set of metrics per process, found by both copies on globalThis.
const KEY = Symbol.for("rollgate.metrics");
const holder = globalThis as unknown as { [KEY]?: RollgateMetrics };

export function rollgateMetrics(): RollgateMetrics {
  return (holder[KEY] ??= define());
}

/** The status class a counter is labelled with: bounded, unlike the status itself. */
export function statusClass(status: number): "1xx" | "2xx" | "3xx" | "4xx" | "5xx" {
  if (status >= 500) return "5xx";
  if (status >= 400) return "4xx";
  if (status >= 300) return "3xx";
  if (status >= 200) return "2xx";
  return "1xx";
}

/** Why a batch of events was refused, from the status it was answered with. */
export function refusalReason(status: number): string {
  switch (status) {
    case 400:
      return "invalid";
    case 401:
    case 403:
      return "unauthorized";
    case 405:
      return "method";
    case 413:
      return "too_large";
    case 429:
      return "rate_limited";
    case 503:
      return "unavailable";
    default:
      return status >= 500 ? "error" : "other";
  }
}
