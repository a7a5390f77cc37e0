/**
 * Page cursors as list routes hand them out: base64url of a small JSON array of strings, opaque to
 * callers. Each list checks the parts it gets back (`decodeCursorParts` only says it is such an array).
 */
export function encodeCursorParts(parts: readonly string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString("base64url");
}

/** The `length` strings a cursor holds, or null for anything else. */
export function decodeCursorParts(text: string, length: number): string[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  return Array.isArray(parsed) && parsed.length === length && parsed.every((p) => typeof p === "string") ? (parsed as string[]) : null;
}

/** An id as PostgreSQL prints a uuid (lower case). */
export const CURSOR_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A timestamp as the lists print it for a cursor: UTC, microseconds, so it compares exactly what is stored. */
export const CURSOR_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
