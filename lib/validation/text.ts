import { z } from "zod";
import { isCleanText, textProblem, type TextProblem } from "../domain/clean-text";

/**
 * The one place that decides what a string from outside may be, on the rules of
 * lib/domain/clean-text.ts (which the SDK applies before it sends): every schema, path parameter and
 * query parameter builds on them.
 */
export { isCleanText, textProblem, type TextProblem } from "../domain/clean-text";

const PROBLEM_MESSAGE: Record<TextProblem, string> = {
  control: "contains control characters",
  surrogate: "contains invalid Unicode",
};

interface TextOptions {
  /** Longest accepted value, after trimming. */
  max: number;
  /** Shortest accepted value, after trimming (default 0). */
  min?: number;
  /** Allow line breaks and tabs (descriptions, reasons). */
  multiline?: boolean;
  /** Message for a value shorter than `min`. */
  minMessage?: string;
  /** Message when the value is not a string. */
  typeMessage?: string;
  /** Trim surrounding whitespace (default true); off where the exact value matters, e.g. SDK targeting keys. */
  trim?: boolean;
}

/**
 * Text a person reads: trimmed, bounded, no control characters. Used by every Zod schema that
 * accepts a name, key, description, reason or list entry.
 */
export function plainText(options: TextOptions) {
  const { max, min = 0, multiline = false, trim = true } = options;
  let schema = z.string(options.typeMessage ? { error: options.typeMessage } : undefined);
  if (trim) schema = schema.trim();
  if (min > 0) schema = schema.min(min, options.minMessage ?? (min === 1 ? "required" : `at least ${min} characters`));
  return schema.max(max, `at most ${max} characters`).superRefine((value, ctx) => {
    const problem = textProblem(value, { multiline });
    if (problem) ctx.addIssue({ code: "custom", message: PROBLEM_MESSAGE[problem] });
  });
}

/** A secret (password): any printable characters, bounded; never trimmed, never shown. */
export function secretText(options: { max: number; min?: number; minMessage?: string }) {
  const { max, min = 0 } = options;
  let schema = z.string();
  if (min > 0) schema = schema.min(min, options.minMessage ?? `at least ${min} characters`);
  return schema.max(max, `at most ${max} characters`).superRefine((value, ctx) => {
    if (textProblem(value, { multiline: true })) ctx.addIssue({ code: "custom", message: "contains control characters" });
  });
}

/** Longest path parameter or query value we look at; anything longer names nothing we store. */
export const MAX_PARAM_LENGTH = 200;

/**
 * A path segment as the router gives it. Returns the clean value, or a message saying why it is
 * refused (a 400 for the API, a 404 page for the dashboard).
 */
export function checkParam(value: string): { ok: true; value: string } | { ok: false; message: string } {
  if (value.length > MAX_PARAM_LENGTH) return { ok: false, message: `at most ${MAX_PARAM_LENGTH} characters` };
  const problem = textProblem(value);
  if (problem) return { ok: false, message: PROBLEM_MESSAGE[problem] };
  return { ok: true, value };
}

/** `decodeURIComponent` that answers null instead of throwing on broken percent-encoding. */
export function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * The first string a page's search parameter holds, or undefined. Next.js builds a page's
 * `searchParams` with `key in query`, so `?__proto__=1` gives the object an array for a prototype and
 * a later `&sort=name` arrives as `[Array.prototype.sort, "name"]` (the fuzzer's `GET /flags` 500):
 * whatever is not a string is not the client's and is skipped.
 */
export function firstQueryString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  return Array.isArray(value) ? (value as unknown[]).find((v): v is string => typeof v === "string") : undefined;
}

/**
 * A search parameter for a page filter: the first value when repeated, trimmed, and dropped (as if
 * absent) when empty, overlong or not clean text. Pages show what they understood rather than fail.
 */
export function queryValue(value: unknown, max = MAX_PARAM_LENGTH): string | undefined {
  const trimmed = firstQueryString(value)?.trim();
  if (!trimmed || trimmed.length > max || !isCleanText(trimmed)) return undefined;
  return trimmed;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id from a path, normalised to lower case, or null when it is not a UUID (names nothing we store). */
export function uuidParam(raw: string): string | null {
  return UUID.test(raw) ? raw.toLowerCase() : null;
}
