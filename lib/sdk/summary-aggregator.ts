import { LATENCY_SLOTS, latencySlot } from "../domain/latency-buckets";
import { addSubject, emptySketch, type SubjectSketch } from "../domain/subject-sketch";
import type { ReportedEvent } from "./event-reporter";
import { isWireKey } from "../domain/clean-text";

/** What `POST /api/v1/events` takes as `summaries`: one flag, variant and reason in one minute. */
export interface WireSummary {
  flagKey: string;
  variant: "on" | "off";
  variantName?: string;
  reason?: NonNullable<ReportedEvent["reason"]>;
  minute: string;
  requests: number;
  errors: number;
  errorsByCode?: Record<string, number>;
  latencySumMs: number;
  latencyBuckets: number[];
  subjectsSketch?: string;
  errorSubjects?: string[];
}

/** The server's bound; past it a summary still counts every error, but lists no more subjects. */
const MAX_ERROR_SUBJECTS = 1000;

interface Open {
  wire: Omit<WireSummary, "subjectsSketch" | "errorSubjects" | "errorsByCode">;
  codes: Map<string, number>;
  sketch: SubjectSketch | null;
  erring: Set<string>;
}

/**
 * Folds reported outcomes into per-minute summaries on the client, so a service sends a few rows a
 * minute per flag instead of one event per evaluation, with the same figures: counts, the latency
 * histogram on the shared edges, error codes, a sketch of the subjects and the subjects that erred.
 * Fed by EventReporter, which has already made each event what the API accepts (`wireEvent`: latency
 * within bounds, error code a clean label), so those are not checked again here.
 */
export class SummaryAggregator {
  private open = new Map<string, Open>();

  get size(): number {
    return this.open.size;
  }

  add(event: ReportedEvent, now = Date.now()): void {
    const at = event.timestamp ? new Date(event.timestamp).getTime() : now;
    const minute = Math.floor(at / 60_000) * 60_000;
    const reason = event.reason ?? "UNKNOWN";
    const variantName = event.variant === "on" ? event.variantName : undefined;
    const key = `${event.flagKey}\u0000${event.variant}\u0000${variantName ?? ""}\u0000${reason}\u0000${minute}`;
    let s = this.open.get(key);
    if (!s) {
      s = {
        wire: {
          flagKey: event.flagKey,
          variant: event.variant,
          ...(variantName !== undefined ? { variantName } : {}),
          reason,
          minute: new Date(minute).toISOString(),
          requests: 0,
          errors: 0,
          latencySumMs: 0,
          latencyBuckets: new Array<number>(LATENCY_SLOTS).fill(0),
        },
        codes: new Map(),
        sketch: null,
        erring: new Set(),
      };
      this.open.set(key, s);
    }
    s.wire.requests++;
    s.wire.latencySumMs += event.latencyMs;
    s.wire.latencyBuckets[latencySlot(event.latencyMs)]!++;
    if (event.targetingKey !== undefined) addSubject((s.sketch ??= emptySketch()), event.targetingKey);
    if (event.outcome === "error") {
      s.wire.errors++;
      const code = event.errorCode || "unknown";
      s.codes.set(code, (s.codes.get(code) ?? 0) + 1);
      // The sketch takes any subject (it never leaves as text); the erring list is sent as it is, and
      // one id the API refuses would have the whole batch refused.
      const key = event.targetingKey;
      if (isWireKey(key, 200) && s.erring.size < MAX_ERROR_SUBJECTS) s.erring.add(key);
    }
  }

  /** Everything collected so far, as wire summaries; the aggregator starts empty again. */
  drain(): WireSummary[] {
    const out = [...this.open.values()].map((s) => ({
      ...s.wire,
      ...(s.codes.size ? { errorsByCode: Object.fromEntries(s.codes) } : {}),
      ...(s.sketch ? { subjectsSketch: toHex(s.sketch) } : {}),
      ...(s.erring.size ? { errorSubjects: [...s.erring] } : {}),
    }));
    this.open.clear();
    return out;
  }
}

// No Buffer: the SDK runs wherever fetch does.
function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}
