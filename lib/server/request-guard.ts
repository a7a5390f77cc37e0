import type { IncomingMessage, ServerResponse } from "node:http";
import { exceedsDepth, MAX_BODY_BYTES, MAX_JSON_DEPTH } from "../validation/json";
import { safeDecode } from "../validation/text";
import type { AppRoutes } from "./app-routes";
import { pathOf, sendJson } from "./data-plane/http-utils";
import { BodyTooLarge, readBody } from "./request-body";
import { credentialsFrom, nodeHeaders } from "../auth/identity";
import { requestOrigin, WRITE_ORIGIN_REFUSED, writeOrigin } from "./origin";

/**
 * Checks that Next.js itself would turn into a 500 or a reset, done before a request reaches it:
 * a path that does not percent-decode (Next throws while matching routes), and malformed server
 * action requests (React's reply decoder throws on bodies no React client sends). Everything that
 * passes is handed on unchanged.
 */

const NEXT_REQUEST_META = Symbol.for("NextInternalRequestMeta");
const ACTION_ID = /^[0-9a-f]{40,64}$/;

/**
 * Answers the request and returns true when it is refused here. `routes` is the production build's
 * route table; without it (the dev server, whose manifests grow as pages compile) only the checks
 * that need no route table run.
 */
export async function refuseMalformed(req: IncomingMessage, res: ServerResponse, routes: AppRoutes | null): Promise<boolean> {
  // Routed as Next routes it: dot segments (also encoded ones, "%2e%2e") resolved first.
  const path = resolvedPath(pathOf(req));
  if (path.split("/").some((segment) => safeDecode(segment) === null)) {
    refuse(res, path, 400, "The request path is not valid percent-encoding", { path: "not valid percent-encoding" });
    return true;
  }
  if (isApi(path)) {
    // Next would render its HTML 404 page (and try to decode a form POST as a server action there).
    if (routes && !routes.isApiRoute(path)) {
      sendJson(res, 404, { error: { code: "NOT_FOUND", message: `No API route ${req.method ?? "GET"} ${path.slice(0, 200)}` } });
      return true;
    }
    return false;
  }
  if (req.method !== "POST") return false;
  const refusal = originRefusal(req);
  if (refusal) {
    refuse(res, path, 403, refusal);
    return true;
  }
  if (req.headers["next-action"] !== undefined) return refuseMalformedAction(req, res, routes);
  if (/^(multipart\/form-data|application\/x-www-form-urlencoded)/i.test(String(req.headers["content-type"] ?? ""))) {
    return refuseMalformedForm(req, res);
  }
  return false;
}

/**
 * Next refuses a server action whose Origin differs from the host, but by throwing (a 500); an
 * unparsable Origin ("null" from a sandboxed frame) also throws. Browsers always send Origin on POST.
 * Scheme, host and port are compared; proxy headers count only when trusted (see ./origin.ts). A post
 * without Origin is let through only when it carries no session (the sign-in form, a client that is
 * no browser), since a server action acts as the session's user: with one it needs
 * `Sec-Fetch-Site: same-origin` instead.
 */
function originRefusal(req: IncomingMessage): string | null {
  const verdict = writeOrigin((name) => req.headers[name], requestOrigin(req));
  if (verdict === "cross-origin") return "Cross-origin form posts are refused";
  if (verdict === "no-origin" && credentialsFrom(nodeHeaders(req)).session) return WRITE_ORIGIN_REFUSED["no-origin"];
  return null;
}

function resolvedPath(raw: string): string {
  try {
    return new URL(raw, "http://localhost").pathname;
  } catch {
    return raw;
  }
}

function isApi(path: string): boolean {
  return path.startsWith("/api/");
}

const CODES: Record<number, string> = { 400: "VALIDATION_FAILED", 403: "FORBIDDEN", 413: "PAYLOAD_TOO_LARGE" };
const TITLES: Record<number, string> = { 400: "Bad request", 403: "Forbidden", 413: "Too large" };

function refuse(res: ServerResponse, path: string, status: 400 | 403 | 413, message: string, fields?: Record<string, string>): void {
  if (isApi(path)) {
    sendJson(res, status, { error: { code: CODES[status], message, ...(fields ? { fields } : {}) } });
    return;
  }
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${TITLES[status]} · Rollgate</title></head><body style="font-family:system-ui,sans-serif;margin:4rem auto;max-width:36rem;color:#0f172a"><h1>${TITLES[status]}</h1><p>${message}.</p><p><a href="/flags">Go to the flags</a></p></body></html>`;
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(html),
    "cache-control": "no-store",
  });
  res.end(html);
}

/**
 * A server action call is `Next-Action: <id>` plus the arguments as React encodes them: one JSON
 * array (`text/plain`), or multipart form data whose field "0" holds that array and whose other
 * fields carry the FormData arguments. The buffered body is handed to Next through its request
 * metadata (`actionBody`), which it reads instead of the consumed stream.
 */
async function refuseMalformedAction(req: IncomingMessage, res: ServerResponse, routes: AppRoutes | null): Promise<boolean> {
  const path = resolvedPath(pathOf(req));
  const actionId = req.headers["next-action"];
  if (typeof actionId !== "string" || !ACTION_ID.test(actionId)) {
    refuseAction(res, 400, "the Next-Action header is not an action id");
    return true;
  }
  const where = routes?.action(actionId, path) ?? "here";
  if (where !== "here") {
    // Unknown ids come from stale or forged clients; an action posted to another page would make Next
    // forward it over HTTP to itself, which a request should not be able to trigger.
    refuseAction(res, 404, where === "unknown" ? "no such server action (reload the page)" : "this page does not offer that action");
    return true;
  }
  let body: Buffer;
  try {
    body = await readBody(req, MAX_BODY_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLarge) refuse(res, path, 413, `The request body is larger than ${MAX_BODY_BYTES} bytes`);
    else refuse(res, path, 400, "The request body could not be read");
    return true;
  }
  const problem = await actionBodyProblem(String(req.headers["content-type"] ?? ""), body);
  if (problem) {
    refuseAction(res, 400, problem);
    return true;
  }
  handOn(req, body);
  return false;
}

function refuseAction(res: ServerResponse, status: number, problem: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  res.end(`Invalid Server Action request: ${problem}.`);
}

/** Next reads a buffered body from its request metadata instead of the (consumed) stream. */
function handOn(req: IncomingMessage, body: Buffer): void {
  const meta = ((req as unknown as Record<symbol, Record<string, unknown> | undefined>)[NEXT_REQUEST_META] ??= {});
  meta.actionBody = body;
}

/**
 * A form POST to a page without JavaScript (or from anywhere else): Next parses it looking for a
 * progressively enhanced action and throws on a malformed or oversized body, so it is parsed here.
 */
async function refuseMalformedForm(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const path = resolvedPath(pathOf(req));
  let body: Buffer;
  try {
    body = await readBody(req, MAX_BODY_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLarge) refuse(res, path, 413, `The request body is larger than ${MAX_BODY_BYTES} bytes`);
    else refuse(res, path, 400, "The request body could not be read");
    return true;
  }
  const contentType = String(req.headers["content-type"]);
  try {
    await new Response(new Uint8Array(body), { headers: { "content-type": contentType } }).formData();
  } catch {
    refuse(res, path, 400, "The form data is malformed");
    return true;
  }
  handOn(req, body);
  return false;
}

async function actionBodyProblem(contentType: string, body: Buffer): Promise<string | null> {
  let root: string;
  if (/^multipart\/form-data\s*;/i.test(contentType)) {
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(body), { headers: { "content-type": contentType } }).formData();
    } catch {
      return "the multipart body is malformed";
    }
    const field = form.get("0");
    if (typeof field !== "string") return 'field "0" with the arguments is missing';
    root = field;
  } else {
    root = body.toString("utf8");
  }
  let args: unknown;
  try {
    args = JSON.parse(root);
  } catch {
    return "the arguments are not JSON";
  }
  if (!Array.isArray(args)) return "the arguments are not a list";
  if (exceedsDepth(args, MAX_JSON_DEPTH)) return "the arguments are nested too deeply";
  const reference = firstUnsupportedReference(args);
  return reference === null ? null : `unsupported value ${JSON.stringify(reference.slice(0, 20))}`;
}

/**
 * React's reply format gives strings starting with "$" a meaning (promises, blobs, server references,
 * iterators…). Our actions take plain values and FormData only, so anything else is refused before
 * the decoder sees it. User text that starts with "$" arrives escaped as "$$…".
 */
const PLAIN_REFERENCE = /^\$(\$|undefined$|K[0-9a-f]{1,8}$|D[0-9T:.\-+Z]{1,40}$|n-?\d{1,40}$|N$|I$|-I$|-0$)/;

function firstUnsupportedReference(value: unknown): string | null {
  const stack: unknown[] = [value];
  while (stack.length) {
    const node = stack.pop();
    if (typeof node === "string") {
      if (node.startsWith("$") && !PLAIN_REFERENCE.test(node)) return node;
    } else if (node && typeof node === "object") {
      for (const [key, child] of Object.entries(node)) {
        if (key.startsWith("$") && !key.startsWith("$$")) return key;
        stack.push(child);
      }
    }
  }
  return null;
}
