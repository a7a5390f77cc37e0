import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { CounterChild, HistogramChild } from "./registry";
import { rollgateMetrics } from "./rollgate-metrics";

/**
 * Counts every response by method, route template and status class, and times it, at the cost of
 * one listener and one timestamp per request: the template is resolved once per distinct URL (kept
 * in a bounded cache) and the series once per route, method and class, so a request on the
 * evaluation path allocates nothing here after warm-up.
 */

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;
/** URLs remembered with their route; past this the cache starts again (bounded memory under a scan). */
const MAX_CACHED_URLS = 10_000;

interface MethodSeries {
  byClass: CounterChild[];
  duration: HistogramChild;
}

interface RouteSeries {
  template: string;
  methods: Map<string, MethodSeries>;
}

/** `/api/v1/flags/{key}/metrics` → a regex for that path with any one segment for `{key}`. */
function templatePattern(template: string): RegExp {
  const body = template
    .split("/")
    .map((s) => (/^\{.+\}$/.test(s) ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${body}/?$`);
}

export interface HttpMetrics {
  /** Call first thing for each request; the response is counted when it closes. */
  track(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * `known` are the routes served outside Next (`GET /healthz`, …: the data-plane inventory);
 * `nextTemplate` names a path Next serves (null when no page or route does: "other").
 */
export function httpMetrics(known: readonly string[], nextTemplate: () => ((path: string) => string | null) | null): HttpMetrics {
  const metrics = rollgateMetrics();
  const own = [...new Set(known.map((k) => k.slice(k.indexOf(" ") + 1)))].map((template) => ({
    template,
    pattern: templatePattern(template),
  }));
  const routes = new Map<string, RouteSeries>();
  const byUrl = new Map<string, RouteSeries>();

  const routeSeries = (template: string): RouteSeries => {
    let series = routes.get(template);
    if (!series) routes.set(template, (series = { template, methods: new Map() }));
    return series;
  };

  const resolve = (url: string): RouteSeries => {
    let series = byUrl.get(url);
    if (series) return series;
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    let template = own.find((r) => r.pattern.test(path))?.template ?? null;
    if (!template && path.startsWith("/_next/")) template = path.startsWith("/_next/static/") ? "/_next/static" : "/_next";
    template ??= nextTemplate()?.(path) ?? "other";
    series = routeSeries(template);
    if (byUrl.size >= MAX_CACHED_URLS) byUrl.clear();
    byUrl.set(url, series);
    return series;
  };

  const methodSeries = (route: RouteSeries, method: string): MethodSeries => {
    let series = route.methods.get(method);
    if (!series) {
      series = {
        byClass: CLASSES.map((code) => metrics.httpRequests.labels({ method, route: route.template, code })),
        duration: metrics.httpDuration.labels({ method, route: route.template }),
      };
      route.methods.set(method, series);
    }
    return series;
  };

  const STARTED = Symbol("rollgate.requestStarted");
  type Tracked = ServerResponse & { [STARTED]: number; req: IncomingMessage };

  // One function for every response (`this` is the response), so listening allocates no closure.
  function onClose(this: Tracked): void {
    const req = this.req;
    const method = METHODS.has(req.method ?? "") ? req.method! : "other";
    const series = methodSeries(resolve(req.url ?? "/"), method);
    // A response closed before its head went out (the client hung up) is counted as what it was about to be.
    const status = this.statusCode;
    const cls = status >= 500 ? 4 : status >= 400 ? 3 : status >= 300 ? 2 : status >= 200 ? 1 : 0;
    series.byClass[cls]!.inc();
    series.duration.observe((performance.now() - this[STARTED]) / 1000);
  }

  return {
    track(_req, res) {
      (res as Tracked)[STARTED] = performance.now();
      res.on("close", onClose);
    },
  };
}
