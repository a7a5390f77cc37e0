import { z } from "zod";
import { AppError, type ErrorCode } from "../errors";
import { getDb, type Db } from "../db/client";
import { untilServedHere } from "../evaluation/served-here";
import { postgresIdentity, resolvePrincipal } from "../auth/identity";
import type { Principal } from "../auth/principal";
import { isInvalidInputError } from "../db/db-errors";
import { isDatabaseUnavailableError, noteDatabaseUnavailable, RETRY_AFTER_SECONDS } from "../db/availability";
import { reportDatabaseUnavailable, REQUESTS_ANSWERED_503 } from "../db/outage-log";
import { MAX_BODY_BYTES, parseJson } from "../validation/json";
import { checkParam } from "../validation/text";
import { addressedOrigin, WRITE_ORIGIN_REFUSED, writeOrigin } from "../server/origin";
import { isClientAbort } from "../server/request-body";

const STATUS: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  VALIDATION_FAILED: 400,
  CONFLICT: 409,
  VERSION_CONFLICT: 409,
  UNPROCESSABLE: 422,
  PAYLOAD_TOO_LARGE: 413,
};

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

/** Zod issues → `{ "<path>": "<message>" }`, first message per path. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join(".") : "body";
    fields[key] ??= issue.message;
  }
  return fields;
}

export function parseWith<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AppError("VALIDATION_FAILED", "The request is invalid", { fields: fieldErrors(parsed.error) });
  return parsed.data;
}

const tooLarge = (limit: number) =>
  new AppError("PAYLOAD_TOO_LARGE", `The request body is larger than ${limit} bytes`, { fields: { body: `at most ${limit} bytes` } });

/** The body as text, refused with 413 past `limit` bytes without buffering the rest. */
async function readText(req: Request, limit: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    // Reading fails only when the client stopped sending: its request, not the server, is broken.
    const { done, value } = await reader.read().catch(() => {
      throw new AppError("VALIDATION_FAILED", "The request body ended before it was complete", { fields: { body: "incomplete" } });
    });
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** A JSON body: 413 past the size limit, 400 when empty, not JSON, or nested too deeply. */
export async function readJson(req: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readText(req, limit);
  if (!text.trim()) throw new AppError("VALIDATION_FAILED", "The request body must be a JSON object", { fields: { body: "required" } });
  const parsed = parseJson(text);
  if (parsed.ok) return parsed.value;
  if (parsed.reason === "depth") {
    throw new AppError("VALIDATION_FAILED", "The request body is nested too deeply", { fields: { body: "nested too deeply" } });
  }
  throw new AppError("VALIDATION_FAILED", "The request body is not valid JSON", { fields: { body: "not valid JSON" } });
}

/** Path parameters as the router decoded them: control characters or overlong values are a 400. */
export function checkParams<P>(params: P): P {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries((params ?? {}) as Record<string, unknown>)) {
    if (typeof value !== "string") continue;
    const checked = checkParam(value);
    if (!checked.ok) fields[`path.${name}`] = checked.message;
  }
  if (Object.keys(fields).length) throw new AppError("VALIDATION_FAILED", "The request path is invalid", { fields });
  return params;
}

export function errorResponse(err: unknown): Response {
  if (err instanceof AppError) {
    const { fields, current, ...rest } = err.details;
    const body: Record<string, unknown> = {
      error: { code: err.code, message: err.message, ...(fields ? { fields } : {}) },
      ...(current !== undefined ? { current } : {}),
      ...rest,
    };
    const headers: Record<string, string> = err.code === "UNAUTHENTICATED" ? { "www-authenticate": 'Bearer realm="rollgate"' } : {};
    return json(body, STATUS[err.code], headers);
  }
  if (isClientAbort(err)) {
    // The client left mid-upload (Node's ECONNRESET "aborted", which would otherwise pass for a
    // database outage below); nobody reads this answer and there is nothing to log.
    return json({ error: { code: "VALIDATION_FAILED", message: "The request ended before it was complete" } }, 400);
  }
  if (isDatabaseUnavailableError(err)) {
    // Not the client's fault and not a bug: say when to come back instead of a 500. The server counts
    // it in the outage log when the request is answered; outside a request (a data-plane route) here.
    if (!noteDatabaseUnavailable(err)) reportDatabaseUnavailable(REQUESTS_ANSWERED_503, err);
    return json({ error: { code: "DATABASE_UNAVAILABLE", message: "The database is unavailable; try again shortly" } }, 503, {
      "retry-after": String(RETRY_AFTER_SECONDS),
    });
  }
  if (isInvalidInputError(err)) {
    return json({ error: { code: "VALIDATION_FAILED", message: "The request contains a value that cannot be stored" } }, 400);
  }
  // Never echo internal messages to clients; the log has the detail.
  console.error("unhandled error", err);
  return json({ error: { code: "INTERNAL", message: "Internal server error" } }, 500);
}

/**
 * Cookie-authenticated mutations must come from our own pages (see `writeOrigin`). SameSite=Lax
 * already keeps the cookie off cross-site POSTs in current browsers; this also covers older ones,
 * same-site subdomains and requests that hide where they come from. Token-authenticated calls carry
 * no ambient credentials, so they need no such check.
 */
function assertSameOrigin(req: Request): void {
  if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return;
  // The custom server dropped untrusted X-Forwarded-* and Next filled them from the connection, so
  // they name what the browser addressed; scheme and port count, not just the host name.
  const expected = addressedOrigin((name) => req.headers.get(name), false);
  const verdict = writeOrigin((name) => req.headers.get(name), expected);
  if (verdict !== "same-origin") throw new AppError("FORBIDDEN", WRITE_ORIGIN_REFUSED[verdict]);
}

export interface RouteContext<P> {
  req: Request;
  params: P;
  db: Db;
  principal: Principal | null;
}

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The one wrapper every route handler uses: resolve identity, run, map errors. */
export function route<P = Record<string, string>>(fn: (ctx: RouteContext<P>) => Promise<Response>) {
  return async (req: Request, context: { params: Promise<P> }): Promise<Response> => {
    try {
      const db = getDb();
      const principal = await resolvePrincipal(postgresIdentity(db), req.headers);
      if (principal?.kind === "user" && principal.via === "session") assertSameOrigin(req);
      const params = checkParams(await context.params);
      const res = await fn({ req, params, db, principal });
      // A write answers once this instance's SDK-facing configuration has it (served-here.ts).
      if (res.status < 400 && !READS.has(req.method)) await untilServedHere();
      return res;
    } catch (err) {
      return errorResponse(err);
    }
  };
}
