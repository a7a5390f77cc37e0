import type { ConfigPatch } from "../domain/config-snapshot";

/** One published change: a patch serialised once, shared by every subscriber and every catch-up. */
export interface RecordedPatch {
  readonly environment: string;
  readonly from: number;
  readonly version: number;
  /** The ConfigPatch as JSON. */
  readonly json: string;
  readonly bytes: number;
}

export interface HistoryLimits {
  /** Patches kept per environment. 0 keeps none: every reconnect gets a snapshot. */
  maxPatches: number;
  /** Bytes of patch JSON kept per environment; beyond it a snapshot is cheaper to send anyway. */
  maxBytes: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { maxPatches: 256, maxBytes: 1024 * 1024 };

interface Ring {
  entries: RecordedPatch[];
  bytes: number;
}

/**
 * The last few patches per environment, contiguous (each one's `from` is the previous one's
 * `version`), so a client that reconnects with the version it holds can be sent exactly what it
 * missed. Bounded by count and by bytes; when the client's version has fallen out (or was never
 * here: another instance, a restart) the answer is "no", and it gets a snapshot.
 */
export class ChangeHistory {
  private rings = new Map<string, Ring>();

  constructor(private readonly limits: HistoryLimits = DEFAULT_HISTORY_LIMITS) {}

  /** Serialises `patch` and keeps it; a patch that does not follow the last one starts the history over. */
  record(patch: ConfigPatch): RecordedPatch {
    const json = JSON.stringify(patch);
    const entry: RecordedPatch = Object.freeze({
      environment: patch.environment,
      from: patch.from,
      version: patch.version,
      json,
      bytes: Buffer.byteLength(json),
    });
    let ring = this.rings.get(patch.environment);
    if (!ring) this.rings.set(patch.environment, (ring = { entries: [], bytes: 0 }));
    const last = ring.entries.at(-1);
    if (last && last.version !== patch.from) {
      ring.entries = [];
      ring.bytes = 0;
    }
    ring.entries.push(entry);
    ring.bytes += entry.bytes;
    while (ring.entries.length && (ring.entries.length > this.limits.maxPatches || ring.bytes > this.limits.maxBytes)) {
      ring.bytes -= ring.entries.shift()!.bytes;
    }
    return entry;
  }

  /** Forgets an environment's patches: its snapshot was replaced by one with no known predecessor. */
  reset(environment: string): void {
    this.rings.delete(environment);
  }

  /**
   * The patches that take a client from `version` to `current`, in order; null when the history
   * does not hold every step.
   */
  since(environment: string, version: number, current: number): RecordedPatch[] | null {
    if (version === current) return [];
    const entries = this.rings.get(environment)?.entries;
    if (!entries?.length || entries.at(-1)!.version !== current) return null;
    // `from` increases along the ring: binary search for the patch that starts at `version`.
    let lo = 0;
    let hi = entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const from = entries[mid]!.from;
      if (from === version) return entries.slice(mid);
      if (from < version) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  }

  /** Patches and bytes held, for all environments (benchmarks, diagnostics). */
  size(): { patches: number; bytes: number } {
    let patches = 0;
    let bytes = 0;
    for (const ring of this.rings.values()) {
      patches += ring.entries.length;
      bytes += ring.bytes;
    }
    return { patches, bytes };
  }
}
