import type { PayloadType, VariantDefinition } from "./model";

/** OFREP's reasons: what decided the value. DEFAULT: the flag is on, but no rule served this subject. */
export type TargetingReason = "DISABLED" | "TARGETING_MATCH" | "SPLIT" | "STATIC" | "DEFAULT";

/** A variant's payload: Unleash's text as stored (`raw`) and the typed value OFREP serves (`value`). */
export interface Payload {
  readonly type: PayloadType;
  readonly raw: string;
  /** string for "string" and "csv", a number for "number", the parsed JSON for "json" (the text when it does not parse). */
  readonly value: unknown;
}

/**
 * One evaluation. `variant` is "on"/"off" for a flag without variants; for a flag with variants it is
 * the served variant's name, or Unleash's "disabled" when none is served (off, or on without a variant).
 */
export interface TargetedEvaluation {
  readonly value: boolean;
  readonly variant: string;
  readonly reason: TargetingReason;
  readonly payload?: Payload;
}

// Shared immutable results: evaluation allocates none.
const freeze = (value: boolean, variant: string, reason: TargetingReason, payload?: Payload): TargetedEvaluation =>
  Object.freeze(payload ? { value, variant, reason, payload } : { value, variant, reason });
const plain = (value: boolean, reason: TargetingReason) => freeze(value, value ? "on" : "off", reason);

export const OFF_DISABLED = plain(false, "DISABLED");
export const ON_ALLOWLIST = plain(true, "TARGETING_MATCH");
export const ON_STATIC = plain(true, "STATIC");
export const OFF_STATIC = plain(false, "STATIC");
export const ON_SPLIT = plain(true, "SPLIT");
export const OFF_SPLIT = plain(false, "SPLIT");
export const ON_TARGETED = plain(true, "TARGETING_MATCH");
export const OFF_DEFAULT = plain(false, "DEFAULT");

/** Unleash's name for "no variant". */
export const NO_VARIANT = "disabled";
const REASONS: readonly TargetingReason[] = ["DISABLED", "TARGETING_MATCH", "SPLIT", "STATIC", "DEFAULT"];
const variantless = (value: boolean) =>
  Object.fromEntries(REASONS.map((r) => [r, freeze(value, NO_VARIANT, r)])) as Record<TargetingReason, TargetedEvaluation>;
/** A flag with variants, off: the "disabled" variant, by reason. */
export const OFF_NO_VARIANT = variantless(false);
/** A flag with variants, on, but no variant served. */
export const ON_NO_VARIANT = variantless(true);

export function payloadOf(p: VariantDefinition["payload"]): Payload | undefined {
  if (!p) return undefined;
  let value: unknown = p.value;
  if (p.type === "number") value = Number(p.value);
  else if (p.type === "json") {
    try {
      value = JSON.parse(p.value);
    } catch {
      value = p.value;
    }
  }
  return Object.freeze({ type: p.type, raw: p.value, value });
}

/** The results a variant can be served with, one per reason, made once. */
export function variantResults(v: VariantDefinition): Record<TargetingReason, TargetedEvaluation> {
  const payload = payloadOf(v.payload);
  return Object.fromEntries(REASONS.map((r) => [r, freeze(true, v.name, r, payload)])) as Record<TargetingReason, TargetedEvaluation>;
}
