import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  logFailure,
  OUTAGE_WINDOW_MS,
  reportDatabaseUnavailable,
  reportRepeatedLine,
  REQUESTS_ANSWERED_503,
} from "../../lib/db/outage-log";

const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });

describe("the outage log: one line per kind of failure and window, with a count", () => {
  let lines: string[];
  const write = (line: string) => lines.push(line);
  beforeEach(() => {
    lines = [];
    vi.useFakeTimers();
  });
  afterEach(() => {
    // Let every open run end, so the next test starts quiet.
    vi.advanceTimersByTime(3 * OUTAGE_WINDOW_MS);
    vi.useRealTimers();
  });

  it("tells the first failure at once, then counts the rest of each window", () => {
    reportDatabaseUnavailable(REQUESTS_ANSWERED_503, refused, { first: "GET /flags answered 503", write });
    for (let i = 0; i < 36; i++) reportDatabaseUnavailable(REQUESTS_ANSWERED_503, refused, { write });
    expect(lines).toEqual(["database unavailable: GET /flags answered 503 (connect ECONNREFUSED 127.0.0.1:5432)"]);
    vi.advanceTimersByTime(OUTAGE_WINDOW_MS);
    expect(lines[1]).toBe("database unavailable: 36 requests answered 503 in the last 10 s (connect ECONNREFUSED 127.0.0.1:5432)");
    reportDatabaseUnavailable(REQUESTS_ANSWERED_503, refused, { write });
    vi.advanceTimersByTime(OUTAGE_WINDOW_MS);
    expect(lines[2]).toBe("database unavailable: 1 request answered 503 in the last 10 s (connect ECONNREFUSED 127.0.0.1:5432)");
    // A quiet window ends the run: the next failure is told at once again.
    vi.advanceTimersByTime(OUTAGE_WINDOW_MS);
    expect(lines).toHaveLength(3);
    reportDatabaseUnavailable(REQUESTS_ANSWERED_503, refused, { first: "POST /api/v1/flags answered 503", write });
    expect(lines[3]).toBe("database unavailable: POST /api/v1/flags answered 503 (connect ECONNREFUSED 127.0.0.1:5432)");
  });

  it("keeps different reasons and kinds apart", () => {
    const timeout = new Error("the database did not answer within 3000 ms");
    reportDatabaseUnavailable(REQUESTS_ANSWERED_503, refused, { write });
    reportDatabaseUnavailable(REQUESTS_ANSWERED_503, timeout, { write });
    logFailure(write, { one: "guardrail pass failed", many: "guardrail passes failed" }, refused, "unused");
    expect(lines).toEqual([
      "database unavailable: request answered 503 (connect ECONNREFUSED 127.0.0.1:5432)",
      "database unavailable: request answered 503 (the database did not answer within 3000 ms)",
      "database unavailable: guardrail pass failed (connect ECONNREFUSED 127.0.0.1:5432)",
    ]);
  });

  it("logs a worker's other failures as before, every time", () => {
    const kind = { one: "webhook delivery round failed", many: "webhook delivery rounds failed" };
    logFailure(write, kind, new TypeError("x is undefined"), "webhook delivery round failed: TypeError: x is undefined");
    logFailure(write, kind, new TypeError("x is undefined"), "webhook delivery round failed: TypeError: x is undefined");
    expect(lines).toEqual(Array(2).fill("webhook delivery round failed: TypeError: x is undefined"));
  });

  it("collapses a repeated line", () => {
    for (let i = 0; i < 5; i++) reportRepeatedLine("[postgres] FATAL:  the database system is starting up", write);
    vi.advanceTimersByTime(OUTAGE_WINDOW_MS);
    expect(lines).toEqual([
      "[postgres] FATAL:  the database system is starting up",
      "[postgres] FATAL:  the database system is starting up (4 more in the last 10 s)",
    ]);
  });
});
