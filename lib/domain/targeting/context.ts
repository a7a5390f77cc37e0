import { STANDARD_CONTEXT_FIELDS, type TargetingContext } from "./model";

/** Reads one context field as a string, or undefined when it is absent. Compiled once per field. */
export type FieldReader = (context: TargetingContext) => string | undefined;

const STANDARD: ReadonlySet<string> = new Set(STANDARD_CONTEXT_FIELDS);

const text = (v: unknown): string | undefined => (typeof v === "string" ? v : v == null ? undefined : String(v));

/**
 * Unleash's `resolveContextValue`: the field of the context itself, else `properties[field]`; null
 * and undefined are "absent", anything else is read as text. (So `userId` falls back to
 * `properties.userId`, as in Unleash; OFREP never puts the standard fields in properties.)
 */
export function fieldReader(field: string): FieldReader {
  if (STANDARD.has(field)) {
    const name = field as (typeof STANDARD_CONTEXT_FIELDS)[number];
    return (c) => text(c[name] ?? c.properties?.[name]);
  }
  return (c) => text(c.properties?.[field]);
}
