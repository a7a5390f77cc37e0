import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { format as formatArgs } from "node:util";

/**
 * The server's log: one line per event. `json` (ROLLGATE_LOG_FORMAT=json, the default when stdout is
 * not a terminal, as under a process manager or in a container) writes one JSON object per line —
 * `time`, `level`, `component`, `msg`, and `requestId` when the event belongs to a request — for a
 * log collector; `pretty` (the default on a terminal) writes the `[rollgate] …` lines a person reads.
 * Expected failures (the database being unavailable, a refused request) are one line without a stack;
 * only an unexpected error carries its stack (a field of its own in JSON).
 */

export type LogLevel = "info" | "warn" | "error";
export type LogFormat = "json" | "pretty";

export interface LogFields {
  requestId?: string;
  /** An unexpected error: its stack is logged. */
  error?: unknown;
  [field: string]: unknown;
}

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export function logFormatFrom(env: Record<string, string | undefined> = process.env, isTTY = Boolean(process.stdout.isTTY)): LogFormat {
  const chosen = env.ROLLGATE_LOG_FORMAT;
  if (chosen === "json" || chosen === "pretty") return chosen;
  return isTTY ? "pretty" : "json";
}

function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) return { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
  return { message: String(err) };
}

/** One line, without its newline. */
export function formatEntry(
  format: LogFormat,
  level: LogLevel,
  component: string,
  msg: string,
  fields: LogFields = {},
  time = new Date(),
): string {
  const { requestId, error, ...rest } = fields;
  if (format === "json") {
    return JSON.stringify({
      time: time.toISOString(),
      level,
      component,
      msg,
      ...(requestId ? { requestId } : {}),
      ...rest,
      ...(error !== undefined ? { error: errorFields(error) } : {}),
    });
  }
  // What the server always printed, so a person's terminal (and their habits) stay as they were.
  const tag = component === "postgres" ? "postgres" : "rollgate";
  const extra = Object.entries(rest)
    .map(([k, v]) => ` ${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join("");
  const stack = error instanceof Error ? `\n${error.stack ?? error.message}` : error !== undefined ? ` ${String(error)}` : "";
  return `[${tag}] ${msg}${extra}${requestId ? ` (request ${requestId})` : ""}${stack}`;
}

const FORMAT = Symbol.for("rollgate.logFormat");
const holder = globalThis as unknown as { [FORMAT]?: LogFormat };

/** Decided once per process (Next's bundled copy of this module reads the same). */
export function currentLogFormat(): LogFormat {
  return (holder[FORMAT] ??= logFormatFrom());
}

// The console as it was before captureConsole: what the log itself writes with.
const write = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  err: (line: string) => process.stderr.write(`${line}\n`),
};

export function logger(component: string): Logger {
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    const line = formatEntry(currentLogFormat(), level, component, msg, fields);
    if (level === "info") write.out(line);
    else write.err(line);
  };
  return {
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
  };
}

const REQUEST_ID = Symbol("rollgate.requestId");
const ACCEPTED_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/**
 * The request's id for the log: the one a proxy in front sent (`X-Request-Id`) when it is plausible,
 * else one made up here, on first use only, so requests that log nothing cost nothing.
 */
export function requestIdOf(req: IncomingMessage): string {
  const tagged = req as IncomingMessage & { [REQUEST_ID]?: string };
  if (tagged[REQUEST_ID]) return tagged[REQUEST_ID];
  const sent = req.headers["x-request-id"];
  const id = typeof sent === "string" && ACCEPTED_REQUEST_ID.test(sent) ? sent : randomUUID();
  tagged[REQUEST_ID] = id;
  return id;
}

const CAPTURED = Symbol.for("rollgate.consoleCaptured");
const captured = globalThis as unknown as { [CAPTURED]?: boolean };

/**
 * In the JSON format, what anything else prints through the console (Next.js, a library) becomes a
 * log line too (component "console"), so every line of output parses. `requestIdNow` names the
 * request being served, when there is one. Installed once per process.
 */
export function captureConsole(requestIdNow: () => string | undefined = () => undefined): void {
  if (currentLogFormat() !== "json" || captured[CAPTURED]) return;
  captured[CAPTURED] = true;
  const log = logger("console");
  const capture =
    (level: LogLevel) =>
    (...args: unknown[]) => {
      const error = args.find((a) => a instanceof Error);
      const msg = formatArgs(...args.map((a) => (a instanceof Error ? a.message : a)));
      const requestId = requestIdNow();
      log[level](msg, { ...(requestId ? { requestId } : {}), ...(error ? { error } : {}) });
    };
  console.log = capture("info");
  console.info = capture("info");
  console.debug = capture("info");
  console.warn = capture("warn");
  console.error = capture("error");
}
