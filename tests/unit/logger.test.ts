// The log line formats (README, "Operating it") and the request id a line carries.
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { formatEntry, logFormatFrom, requestIdOf } from "../../lib/log/logger";

const at = new Date("2026-01-02T03:04:05.678Z");

describe("log lines", () => {
  it("json: one object per line with time, level, component, msg, the request id and extra fields", () => {
    const line = formatEntry("json", "warn", "database", 'said "no"\nthen more', { requestId: "r-1", pool: "requests" }, at);
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toEqual({
      time: "2026-01-02T03:04:05.678Z",
      level: "warn",
      component: "database",
      msg: 'said "no"\nthen more',
      requestId: "r-1",
      pool: "requests",
    });
  });

  it("json: an unexpected error carries its stack in a field of its own, still on one line", () => {
    const line = formatEntry("json", "error", "http", "request failed: GET /x", { error: new TypeError("boom") }, at);
    const entry = JSON.parse(line) as { error: { name: string; message: string; stack: string } };
    expect(entry.error).toMatchObject({ name: "TypeError", message: "boom" });
    expect(entry.error.stack).toContain("at ");
  });

  it("pretty: the [rollgate] lines as before, PostgreSQL's own tagged [postgres]", () => {
    expect(formatEntry("pretty", "info", "server", "listening on http://localhost:3000", {}, at)).toBe(
      "[rollgate] listening on http://localhost:3000",
    );
    expect(formatEntry("pretty", "warn", "postgres", "FATAL: the database system is starting up", {}, at)).toBe(
      "[postgres] FATAL: the database system is starting up",
    );
    expect(formatEntry("pretty", "error", "http", "request failed", { requestId: "abc" }, at)).toBe(
      "[rollgate] request failed (request abc)",
    );
  });

  it("ROLLGATE_LOG_FORMAT chooses; otherwise pretty on a terminal and json elsewhere", () => {
    expect(logFormatFrom({ ROLLGATE_LOG_FORMAT: "json" }, true)).toBe("json");
    expect(logFormatFrom({ ROLLGATE_LOG_FORMAT: "pretty" }, false)).toBe("pretty");
    expect(logFormatFrom({}, true)).toBe("pretty");
    expect(logFormatFrom({}, false)).toBe("json");
  });
});

describe("request ids", () => {
  const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

  it("keeps a plausible X-Request-Id from a proxy, and makes one up otherwise, once per request", () => {
    expect(requestIdOf(request({ "x-request-id": "edge-7f3a:1" }))).toBe("edge-7f3a:1");
    const bare = request({});
    const made = requestIdOf(bare);
    expect(made).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf(bare)).toBe(made);
    // Anything that could forge a log line or bloat it is replaced.
    expect(requestIdOf(request({ "x-request-id": "a\nb" }))).not.toContain("\n");
    expect(requestIdOf(request({ "x-request-id": "x".repeat(500) }))).toHaveLength(36);
  });
});
