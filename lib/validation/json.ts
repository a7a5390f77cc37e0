/**
 * Limits on JSON from outside. V8 parses arbitrarily deep JSON without complaint, but every
 * recursive walk afterwards (stable stringify for ETags, Zod, logging) would overflow the stack, so
 * depth is checked right after parsing, without recursion.
 */

/** Deepest nesting any of our request bodies needs (an OFREP context with nested attributes). */
export const MAX_JSON_DEPTH = 32;

/** Request bodies above this are answered 413 by the management API and server actions. */
export const MAX_BODY_BYTES = 1_000_000;

/** True when `value` nests objects/arrays deeper than `limit` levels. */
export function exceedsDepth(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== "object") continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; reason: "syntax" | "depth" };

export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): JsonParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "syntax" };
  }
  return exceedsDepth(value, maxDepth) ? { ok: false, reason: "depth" } : { ok: true, value };
}
