import { LATENCY_SLOTS, latencySlot } from "../domain/latency-buckets";
import type { EventInput, SummaryInput } from "./event-schemas";

/** One flag, variant name and minute of a batch: what metric_variant_rollups adds up. */
export interface VariantGroup {
  flagKey: string;
  variantName: string;
  /** ISO 8601, the start of the minute. */
  minute: string;
  requests: number;
  errors: number;
  latencySumMs: number;
  slots: number[];
}

/**
 * The batch's events and summaries that name their variant, grouped by flag, variant name and minute
 * (`times`: each event's time in epoch ms, as the caller resolved it). The rest are not counted here:
 * they are in metric_rollups as on/off only.
 */
export function groupByVariant(
  events: readonly EventInput[],
  times: readonly number[],
  summaries: readonly SummaryInput[],
): VariantGroup[] {
  const groups = new Map<string, VariantGroup>();
  const groupFor = (flagKey: string, variantName: string, minuteMs: number): VariantGroup => {
    const key = `${flagKey}\u0000${variantName}\u0000${minuteMs}`;
    let g = groups.get(key);
    if (!g) {
      const minute = new Date(minuteMs).toISOString();
      g = { flagKey, variantName, minute, requests: 0, errors: 0, latencySumMs: 0, slots: new Array<number>(LATENCY_SLOTS).fill(0) };
      groups.set(key, g);
    }
    return g;
  };
  events.forEach((e, i) => {
    if (e.variantName === undefined) return;
    const g = groupFor(e.flagKey, e.variantName, Math.floor(times[i]! / 60_000) * 60_000);
    g.requests++;
    if (e.outcome === "error") g.errors++;
    g.latencySumMs += e.latencyMs;
    g.slots[latencySlot(e.latencyMs)]!++;
  });
  for (const s of summaries) {
    if (s.variantName === undefined) continue;
    const g = groupFor(s.flagKey, s.variantName, Math.floor(new Date(s.minute).getTime() / 60_000) * 60_000);
    g.requests += s.requests;
    g.errors += s.errors;
    g.latencySumMs += s.latencySumMs;
    s.latencyBuckets.forEach((n, i) => (g.slots[i]! += n));
  }
  return [...groups.values()];
}
