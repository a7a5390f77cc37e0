import type { TargetingContext } from "./model";

/** OFREP context attributes that are Unleash context fields of their own; the rest are properties. */
const OWN_FIELDS = new Set(["userId", "sessionId", "remoteAddress", "environment", "appName", "currentTime"]);

/**
 * An OFREP (OpenFeature) evaluation context as targeting reads it:
 * - `targetingKey` is the user id (an explicit `userId` attribute wins);
 * - `sessionId`, `remoteAddress`, `environment`, `appName` and `currentTime` are themselves;
 *   `environment` defaults to the environment the SDK token serves;
 * - every other attribute is a property, as constraints name them (`email`, `tenant`, `version`):
 *   strings as they are, finite numbers and booleans as their text, anything else (objects, lists,
 *   null) left out, since no constraint operator compares them.
 */
export function contextFromOfrep(context: Record<string, unknown>, environment: string): TargetingContext {
  const out: TargetingContext = { environment };
  const properties: Record<string, string> = {};
  let hasProperties = false;
  for (const [name, raw] of Object.entries(context)) {
    const value = scalarText(raw);
    if (value === undefined) continue;
    if (name === "targetingKey") {
      out.userId ??= value;
    } else if (OWN_FIELDS.has(name)) {
      (out as Record<string, string>)[name] = value;
    } else {
      properties[name] = value;
      hasProperties = true;
    }
  }
  if (hasProperties) out.properties = properties;
  return out;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === "boolean") return String(value);
  return undefined;
}
