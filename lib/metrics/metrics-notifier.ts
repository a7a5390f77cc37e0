import type { Db } from "../db/client";

export const METRICS_CHANNEL = "rollgate_metrics";
const MAX_PAYLOAD = 7000; // NOTIFY payloads must stay under 8,000 bytes

/**
 * What a `rollgate_metrics` notification says: new events for these flags (null: possibly any), none
 * of them older than the minute `since` (ISO 8601; absent: any age).
 */
export interface MetricsChange {
  environment: string;
  flags: string[] | null;
  since?: string;
}

/**
 * Tells every instance (NOTIFY) that new events landed, so open charts reload at once instead of
 * polling. Throttled per environment: the first batch notifies immediately, later ones within
 * `intervalMs` are folded into one trailing notification, so a busy ingest path sends at most a few
 * per second. A hint only — sent after the batch committed, never part of it; a lost one costs a chart
 * its next fallback poll, not data.
 */
export class MetricsNotifier {
  private pending = new Map<string, Set<string>>();
  private oldest = new Map<string, number>();
  private lastSent = new Map<string, number>();
  private timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly db: Db,
    private readonly intervalMs = 500,
  ) {}

  touch(environment: string, flagKeys: Iterable<string>, oldestMs: number): void {
    this.oldest.set(environment, Math.min(this.oldest.get(environment) ?? Infinity, oldestMs));
    let set = this.pending.get(environment);
    if (!set) this.pending.set(environment, (set = new Set()));
    for (const k of flagKeys) set.add(k);
    if (this.timers.has(environment)) return;
    const wait = Math.max(0, (this.lastSent.get(environment) ?? 0) + this.intervalMs - Date.now());
    const timer = setTimeout(() => {
      this.timers.delete(environment);
      void this.send(environment);
    }, wait);
    timer.unref();
    this.timers.set(environment, timer);
  }

  private async send(environment: string): Promise<void> {
    const flags = [...(this.pending.get(environment) ?? [])];
    const oldest = this.oldest.get(environment) ?? 0;
    this.pending.delete(environment);
    this.oldest.delete(environment);
    if (!flags.length) return;
    this.lastSent.set(environment, Date.now());
    const since = new Date(Math.floor(oldest / 60_000) * 60_000).toISOString();
    let payload = JSON.stringify({ environment, flags, since } satisfies MetricsChange);
    if (payload.length > MAX_PAYLOAD) payload = JSON.stringify({ environment, flags: null, since } satisfies MetricsChange);
    await this.db.$executeRaw`SELECT pg_notify(${METRICS_CHANNEL}, ${payload})`.catch(() => {});
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
