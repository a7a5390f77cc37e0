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

/**
 * An OFREP evaluation context (or any attribute bag: the SDK's, the dashboard's preview) as a
 * targeting context: `targetingKey` is the user id; `sessionId`, `remoteAddress`, `environment`,
 * `appName` and `currentTime` are themselves (a `userId` attribute too, when there is no targeting
 * key); every other attribute is a property. Numbers and booleans are read as text, as Unleash reads
 * context values, and dates as ISO 8601; objects, lists and null are left out (no operator compares them).
 */
export function targetingContextOf(attributes: Readonly<Record<string, unknown>>): TargetingContext {
  const context: TargetingContext = {};
  const properties: Record<string, string> = {};
  // A Date (OpenFeature contexts allow one) as ISO 8601, as it arrives over OFREP once JSON-encoded:
  // local evaluation and the server then read `currentTime` alike.
  const text = (raw: unknown) =>
    typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean"
      ? String(raw)
      : raw instanceof Date && !Number.isNaN(raw.getTime())
        ? raw.toISOString()
        : undefined;
  for (const [name, raw] of Object.entries(attributes)) {
    const value = text(raw);
    if (value === undefined || name === "targetingKey") continue;
    if (STANDARD.has(name)) context[name as (typeof STANDARD_CONTEXT_FIELDS)[number]] = value;
    else properties[name] = value;
  }
  const key = text(attributes.targetingKey);
  if (key !== undefined) context.userId = key;
  if (Object.keys(properties).length) context.properties = properties;
  return context;
}
