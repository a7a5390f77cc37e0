/**
 * What a string from outside may be, as rules without a schema library, so the SDK can apply the
 * server's before it sends (lib/validation/text.ts builds the API's schemas on them). PostgreSQL
 * `text` refuses NUL, and control or bidirectional-override characters in a name, key or reason
 * would let a caller make the dashboard and the audit log show something other than what is stored
 * ("Trojan Source" spoofing).
 */

// C0 and C1 controls (tab, LF and CR are handled per kind below), line/paragraph separators, bidi
// embeddings/overrides/isolates, and lone UTF-16 surrogates (they cannot be stored as UTF-8).
const ALWAYS_REFUSED = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;
const LINE_BREAKS_AND_TABS = /[\t\n\r]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type TextProblem = "control" | "surrogate";

/** Why `value` may not be stored or shown, or null when it is clean. */
export function textProblem(value: string, options: { multiline?: boolean } = {}): TextProblem | null {
  if (ALWAYS_REFUSED.test(value)) return "control";
  if (!options.multiline && LINE_BREAKS_AND_TABS.test(value)) return "control";
  if (LONE_SURROGATE.test(value)) return "surrogate";
  return null;
}

export const isCleanText = (value: string, options: { multiline?: boolean } = {}) => textProblem(value, options) === null;

const REFUSED_GLOBAL = new RegExp(`${ALWAYS_REFUSED.source}|${LINE_BREAKS_AND_TABS.source}|${LONE_SURROGATE.source}`, "g");

/**
 * A one-line label the API accepts, made from any string: refused characters become spaces, runs of
 * spaces one, and it is cut to `max` characters (code points, as the API's schemas count them), so a
 * surrogate pair is never split. Empty when nothing printable is left. For values that only label
 * something (an error code): better a cleaned label than a refused batch.
 */
export function cleanLabel(value: string, max: number): string {
  const text = value.replace(REFUSED_GLOBAL, " ").replace(/ {2,}/g, " ").trim();
  return fitsCharacters(text, max) ? text : [...text].slice(0, max).join("").trimEnd();
}

/** Whether `value` has at most `max` characters as the API's schemas count them (code points, not UTF-16 units). */
export const fitsCharacters = (value: string, max: number) => value.length <= max || [...value].length <= max;

/** A key or name as the API takes it: a non-empty string of at most `max` characters with nothing refused in it. */
export const isWireKey = (value: unknown, max: number): value is string =>
  typeof value === "string" && value !== "" && fitsCharacters(value, max) && isCleanText(value);
