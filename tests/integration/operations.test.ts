// The probes and the metrics an operator watches, through the real server: /healthz, /readyz and
// /metrics (read by a strict exposition-format parser), and that the figures move with traffic.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, patchFlagState, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { decreasedCounters, parseExposition, sampleValue, type Family } from "../support/prometheus-text";
import { eventually } from "../support/eventually";

// A process of its own: /metrics counts from the process's start, and a warm server's counters carry
// what earlier files did (a configuration-reload count copied from a new session's store would be
// lower than the last one reported, which a counter never shows).
const { app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP, fresh: true });

async function scrape(): Promise<Map<string, Family>> {
  const res = await fetch(`${app.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parseExposition(await res.text());
}

const ofrep = (path: string, targetingKey = "user-1") =>
  fetch(`${app.url}/ofrep/v1/evaluate/flags${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${SDK_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ context: { targetingKey } }),
  });

describe("probes", () => {
  it("GET /healthz: 200 and a tiny JSON, without credentials", async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ status: "ok" });
    expect((await fetch(`${app.url}/healthz`, { method: "HEAD" })).status).toBe(200);
    expect((await fetch(`${app.url}/healthz`, { method: "POST" })).status).toBe(405);
  });

  it("GET /readyz: 200 with each check when the database answers and the configuration is loaded", async () => {
    const res = await fetch(`${app.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ready", checks: { database: "ok", configuration: "ok" } });
  });

  it("are not logged per request", async () => {
    const before = app.output();
    for (let i = 0; i < 5; i++) {
      await fetch(`${app.url}/healthz`);
      await fetch(`${app.url}/readyz`);
      await fetch(`${app.url}/metrics`);
    }
    expect(app.output().slice(before.length)).not.toMatch(/healthz|readyz|metrics/);
  });
});

describe("GET /metrics", () => {
  it("is open when ROLLGATE_METRICS_TOKEN is not set and names every metric the README lists", async () => {
    const families = await scrape();
    for (const name of [
      "rollgate_http_requests_total",
      "rollgate_http_request_duration_seconds",
      "rollgate_evaluations_total",
      "rollgate_events_ingested_total",
      "rollgate_events_ignored_total",
      "rollgate_event_batches_refused_total",
      "rollgate_guardrail_verdicts_total",
      "rollgate_database_unavailable_total",
      "rollgate_config_version",
      "rollgate_config_flags",
      "rollgate_config_reloads_total",
      "rollgate_config_listening",
      "rollgate_sdk_streams_open",
      "rollgate_sdk_stream_messages_total",
      "rollgate_database_pool_connections",
      "rollgate_database_pool_waiting",
      "rollgate_database_pool_max",
      "rollgate_database_up",
      "process_resident_memory_bytes",
      "process_cpu_seconds_total",
      "process_start_time_seconds",
      "nodejs_heap_bytes",
      "nodejs_eventloop_lag_seconds",
    ]) {
      expect(families.get(name)?.help, name).toBeTruthy();
    }
    expect(sampleValue(families, "process_resident_memory_bytes")).toBeGreaterThan(10_000_000);
    expect(sampleValue(families, "rollgate_database_up")).toBe(1);
    expect(sampleValue(families, "rollgate_config_listening")).toBe(1);
    expect(sampleValue(families, "rollgate_database_pool_max", { pool: "requests" })).toBe(20);
    expect(sampleValue(families, "rollgate_config_version", { environment: "production" })).toBeGreaterThanOrEqual(0);
  });

  it("exposes every metric the README's table and the Grafana dashboard name", async () => {
    const families = await scrape();
    const names = (text: string) => new Set(text.match(/\b(?:rollgate|process|nodejs)_[a-z_]+[a-z]\b/g) ?? []);
    const readme = readFileSync("README.md", "utf8");
    const operating = readme.slice(readme.indexOf("## Operating it"), readme.indexOf("\n## ", readme.indexOf("## Operating it") + 5));
    const named = [...names(operating), ...names(readFileSync("docs/grafana-dashboard.json", "utf8"))];
    expect(named.length).toBeGreaterThan(20);
    const family = (name: string) => name.replace(/_(bucket|sum|count)$/, "");
    expect(named.filter((n) => !families.has(n) && !families.has(family(n)))).toEqual([]);
  });

  it("moves with traffic: evaluations, requests by route, events, configuration; counters never go back", async () => {
    const eng = ROLE_TOKENS.engineer;
    expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key: "ops-flag" } })).status).toBe(201);
    expect((await patchFlagState(app.url, eng, "ops-flag", "production", { enabled: true, rolloutPercent: 100 })).status).toBe(200);
    await eventually(async () => (await (await ofrep("/ops-flag")).json()).value === true, 5000, "OFREP to serve the flag on");
    const before = await scrape();

    for (let i = 0; i < 3; i++) expect((await ofrep("/ops-flag", `u${i}`)).status).toBe(200);
    expect((await ofrep("/no-such-flag")).status).toBe(404);
    const bulk = await ofrep("");
    expect(bulk.status).toBe(200);
    const flagsServed = ((await bulk.json()) as { flags: unknown[] }).flags.length;
    const events = await call(app.url, "POST", "/api/v1/events", {
      token: SDK_TOKEN,
      body: { events: [1, 2].map(() => ({ flagKey: "ops-flag", variant: "on", outcome: "success", latencyMs: 4 })) },
    });
    expect(events.status).toBe(202);
    expect((await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, rawBody: "{not json" })).status).toBe(400);
    expect((await patchFlagState(app.url, eng, "ops-flag", "production", { rolloutPercent: 50 })).status).toBe(200);
    await eventually(
      async () =>
        (sampleValue(await scrape(), "rollgate_config_version", { environment: "production" }) ?? 0) >
        sampleValue(before, "rollgate_config_version", { environment: "production" })!,
      5000,
      "the new configuration version",
    );
    const after = await scrape();

    const moved = (sample: string, labels: Record<string, string>) =>
      (sampleValue(after, sample, labels) ?? 0) - (sampleValue(before, sample, labels) ?? 0);
    expect(moved("rollgate_evaluations_total", { environment: "production", kind: "single" })).toBe(3);
    expect(moved("rollgate_evaluations_total", { environment: "production", kind: "bulk" })).toBe(flagsServed);
    const single = { method: "POST", route: "/ofrep/v1/evaluate/flags/{key}" };
    expect(moved("rollgate_http_requests_total", { ...single, code: "2xx" })).toBe(3);
    expect(moved("rollgate_http_requests_total", { ...single, code: "4xx" })).toBe(1);
    expect(moved("rollgate_http_request_duration_seconds_count", single)).toBe(4);
    expect(moved("rollgate_http_request_duration_seconds_bucket", { ...single, le: "+Inf" })).toBe(4);
    // Routes Next serves are named by their template, not by the path.
    expect(moved("rollgate_http_requests_total", { method: "PATCH", route: "/api/v1/flags/{key}/environments/{env}", code: "2xx" })).toBe(
      1,
    );
    expect(moved("rollgate_events_ingested_total", { environment: "production" })).toBe(2);
    expect(moved("rollgate_event_batches_refused_total", { source: "sdk", reason: "invalid" })).toBe(1);
    expect(moved("rollgate_config_reloads_total", { environment: "production", kind: "patched" })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(after, "rollgate_config_flags", { environment: "production" })).toBe(flagsServed);
    expect(decreasedCounters(before, after)).toEqual([]);
    // No series per flag key or per raw path: the label values stay few.
    const routes = new Set(after.get("rollgate_http_requests_total")!.samples.map((s) => s.labels.route));
    expect([...routes].filter((r) => r!.includes("ops-flag") || r!.includes("no-such-flag"))).toEqual([]);
  });

  it("counts open SDK streams", async () => {
    const controller = new AbortController();
    const stream = await fetch(`${app.url}/api/v1/stream`, {
      headers: { authorization: `Bearer ${SDK_TOKEN}` },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    try {
      await eventually(async () => sampleValue(await scrape(), "rollgate_sdk_streams_open") === 1, 5000, "the stream to be counted");
    } finally {
      controller.abort();
    }
    await eventually(async () => sampleValue(await scrape(), "rollgate_sdk_streams_open") === 0, 5000, "the stream to be gone");
  });
});
