import type { AudienceSampler, SampledUser } from "../domain/audience-sample";
import { SummaryAggregator, type WireSummary } from "./summary-aggregator";
import { cleanLabel, isWireKey } from "../domain/clean-text";
import { MAX_CLOCK_SKEW_MS, MAX_EVENT_AGE_MS, MAX_LATENCY_MS } from "../domain/telemetry-window";

export interface ReportedEvent {
  flagKey: string;
  variant: "on" | "off";
  /**
   * A flag with variants: the name of the variant served (only with `variant: "on"`), so its charts
   * compare variants with each other. The client fills it in when left out.
   */
  variantName?: string;
  /** What served the variant (the evaluation's reason). The client fills it in when left out. */
  reason?: "SPLIT" | "TARGETING_MATCH" | "DISABLED" | "STATIC" | "UNKNOWN";
  outcome: "success" | "error";
  latencyMs: number;
  errorCode?: string;
  targetingKey?: string;
  timestamp?: string;
}

export interface EventReporterOptions {
  url: string;
  sdkKey: string;
  fetch: typeof fetch;
  /** Send when this many events are waiting (max 5000, the API's limit). */
  batchSize?: number;
  /** Send whatever is waiting at least this often. */
  flushIntervalMs?: number;
  /** Keep at most this many unsent events; the oldest are dropped (and counted) beyond it. */
  maxBuffer?: number;
  /**
   * Fold outcomes into per-minute summaries before sending (default true): a few rows a minute per
   * flag instead of one per evaluation, with the same counts, latency histogram, error codes and
   * subjects. `false` sends every event, which also keeps raw rows on the server.
   */
  summarize?: boolean;
  /** The client's sample of users evaluated: its new users are sent with each flush. */
  audience?: AudienceSampler;
  onError?: (err: Error) => void;
}

/**
 * Batches events to `POST /api/v1/events`. Network failures and 5xx/429 keep the batch for a retry
 * with exponential backoff; a 4xx other than 429 means the batch can never succeed, so it is dropped
 * and reported, except for a 400 whose field errors name items of the batch (`events.3.latencyMs`):
 * the API refuses a whole batch for one item it cannot store, so only the items it named are dropped
 * and the rest go in the next request. Memory stays bounded whatever the server does.
 *
 * A batch goes out with an id (`batchId`) and is retried as it is, under the same id: when the server
 * counted it but its answer was lost (a timeout, a dropped connection), the retry is recognised and
 * not counted again. The rest of a partly refused batch is a new batch (the refusal stored nothing).
 */
type Item = ReportedEvent | WireSummary;
const POST_TIMEOUT_MS = 15_000;
const PARTIAL_REFUSALS = 5;
const utcDay = () => Math.floor(Date.now() / 86_400_000);
const weight = (item: Item) => ("requests" in item ? item.requests : 1);

/** A batch's id: random, so batches of several processes sharing a token do not collide. */
function newBatchId(): string {
  const uuid = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto?.randomUUID?.();
  if (uuid) return uuid;
  let id = "";
  while (id.length < 32)
    id += Math.floor(Math.random() * 2 ** 32)
      .toString(16)
      .padStart(8, "0");
  return id;
}

interface Batch {
  id: string;
  items: Item[];
}

export class EventReporter {
  private buffer: Item[] = [];
  /** The batch being sent, out of the buffer until the server took it or refused it for good. */
  private inFlight: Batch | null = null;
  /** False once a server refused `batchId` as a field it does not know (one older than batch ids). */
  private namesBatches = true;
  private readonly aggregator: SummaryAggregator | null;
  /** Flag keys and variant names found acceptable: a service uses a handful, so each is checked once. */
  private readonly acceptedKeys = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> | null = null;
  private backoffMs = 0;
  private partialRefusals = 0;
  private retryAt = 0;
  /** Evaluations given up on, and sent (a summary counts as the evaluations it stands for). */
  dropped = 0;
  sent = 0;
  private readonly batchSize: number;
  private readonly maxBuffer: number;

  constructor(private readonly options: EventReporterOptions) {
    this.batchSize = Math.min(options.batchSize ?? 500, 5000);
    this.maxBuffer = options.maxBuffer ?? 10_000;
    this.aggregator = options.summarize === false ? null : new SummaryAggregator();
    this.timer = setInterval(() => void this.flush().catch(() => {}), options.flushIntervalMs ?? (this.aggregator ? 10_000 : 2000));
    this.timer.unref?.();
  }

  /** Items waiting to be sent: events, or summaries (open ones included) when summarising. */
  get pending(): number {
    return this.buffer.length + (this.inFlight?.items.length ?? 0) + (this.aggregator?.size ?? 0);
  }

  add(reported: ReportedEvent): void {
    const event = wireEvent(reported, this.aggregator !== null, this.acceptedKeys);
    if (!event) {
      this.dropped++;
      return;
    }
    if (this.aggregator) {
      this.aggregator.add(event);
      return;
    }
    this.push(event.timestamp ? event : { ...event, timestamp: new Date().toISOString() });
    if (this.buffer.length >= this.batchSize) void this.flush().catch(() => {});
  }

  private push(item: Item): void {
    this.buffer.push(item);
    // The batch in flight counts too: at most maxBuffer unsent in all.
    const room = this.maxBuffer - (this.inFlight?.items.length ?? 0);
    if (this.buffer.length > room) {
      const excess = this.buffer.splice(0, this.buffer.length - room);
      this.dropped += excess.reduce((a, i) => a + weight(i), 0);
    }
  }

  /** Sends everything waiting (in batches); resolves when done or when a send fails. */
  async flush(): Promise<void> {
    if (this.sending) return this.sending;
    if (Date.now() < this.retryAt) return;
    for (const summary of this.aggregator?.drain() ?? []) this.push(summary);
    this.sending = (async () => {
      this.partialRefusals = 0;
      try {
        while (this.inFlight || this.buffer.length) {
          this.inFlight ??= { id: newBatchId(), items: this.buffer.splice(0, this.batchSize) };
          const ok = await this.send(this.inFlight);
          if (!ok) return;
        }
        await this.sendAudience();
      } finally {
        this.sending = null;
      }
    })();
    return this.sending;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // A flush in flight sends only what it drained when it began: summaries and events tracked since
    // then are sent by one more, after it.
    if (this.sending) await this.sending.catch(() => {});
    this.retryAt = 0;
    await this.flush().catch(() => {});
  }

  private async post(body: unknown): Promise<{ status: number; text: string }> {
    try {
      const res = await this.options.fetch(`${this.options.url}/api/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${this.options.sdkKey}`, "content-type": "application/json" },
        body: JSON.stringify(body),
        // A server that never answers must not hold the batch (or close()) forever: it is retried.
        signal: AbortSignal.timeout(POST_TIMEOUT_MS),
      });
      return { status: res.status, text: await res.text().catch(() => "") };
    } catch (err) {
      this.options.onError?.(err as Error);
      return { status: 0, text: "" };
    }
  }

  private audienceDay = utcDay();

  /**
   * The users who entered the sample since the last flush, 256 a request. A new UTC day starts the
   * sample afresh (the server keeps one per day), after yesterday's last users are sent.
   */
  private async sendAudience(): Promise<void> {
    const audience = this.options.audience;
    if (!audience) return;
    const today = utcDay();
    const newDay = today !== this.audienceDay;
    while (audience.freshCount > 0) {
      const users: SampledUser[] = audience.take(256);
      const { status } = await this.post({ contexts: users.map((u) => u.context) });
      if (status >= 200 && status < 300) continue;
      if (status >= 400 && status < 500 && status !== 429 && status !== 408) {
        this.options.onError?.(new Error(`user sample rejected with HTTP ${status}; dropped ${users.length}`));
        continue;
      }
      audience.giveBack(users);
      return;
    }
    if (newDay) {
      audience.clear();
      this.audienceDay = today;
    }
  }

  private async send({ id, items: batch }: Batch): Promise<boolean> {
    const list = this.aggregator ? "summaries" : "events";
    const { status, text } = await this.post({ ...(this.namesBatches ? { batchId: id } : {}), [list]: batch });
    if (status === 400 && this.namesBatches && refusesBatchId(text)) {
      // A server from before batch ids refuses the field and stores nothing: the same batch without it.
      this.namesBatches = false;
      return this.send({ id, items: batch });
    }
    if (status >= 200 && status < 300) {
      this.inFlight = null;
      this.sent += batch.reduce((a, i) => a + weight(i), 0);
      this.backoffMs = 0;
      return true;
    }
    if (status >= 400 && status < 500 && status !== 429 && status !== 408) {
      // The items the API named, when it named only items of this batch; otherwise all of it.
      // At most PARTIAL_REFUSALS a flush: an API that names one item at a time (a summary for an
      // unknown flag) must not cost a request per item of a batch that is bad throughout.
      const named = status === 400 && this.partialRefusals < PARTIAL_REFUSALS ? refusedItems(text, list, batch.length) : null;
      const refused = named ? batch.filter((_, i) => named.has(i)) : batch;
      if (named) {
        this.partialRefusals++;
        const gone = new Set(refused);
        const rest = batch.filter((item) => !gone.has(item));
        this.inFlight = rest.length ? { id: newBatchId(), items: rest } : null;
      } else this.inFlight = null;
      const lost = refused.reduce((a, i) => a + weight(i), 0);
      this.dropped += lost;
      this.options.onError?.(
        new Error(
          `events rejected with HTTP ${status}; dropped ${lost}${named ? ` (${[...named].map((i) => `${list}.${i}`).join(", ")}), sending the rest` : ""}`,
        ),
      );
      return true;
    }
    this.backoffMs = Math.min(this.backoffMs ? this.backoffMs * 2 : 500, 30_000);
    this.retryAt = Date.now() + this.backoffMs;
    return false;
  }
}

const REASONS = new Set<string>(["SPLIT", "TARGETING_MATCH", "DISABLED", "STATIC", "UNKNOWN"]);
const MAX_REMEMBERED_KEYS = 10_000;

/** isWireKey for values a service repeats (flag keys, variant names), remembered once accepted. */
function acceptedKey(value: unknown, accepted: Set<string>): value is string {
  if (typeof value !== "string") return false;
  if (accepted.has(value)) return true;
  if (!isWireKey(value, 100)) return false;
  if (accepted.size < MAX_REMEMBERED_KEYS) accepted.add(value);
  return true;
}

/**
 * How near the API's 7 days an event may be when tracked. It is sent a flush interval later, maybe
 * after retries with backoff, so one nearer the limit is given up on here rather than have its batch
 * refused on arrival.
 */
const SEND_MARGIN_MS = 3600 * 1000;

/** Whether a 400's fields say the body has a key the server does not know, `batchId`. */
function refusesBatchId(text: string): boolean {
  try {
    const fields = (JSON.parse(text) as { error?: { fields?: Record<string, string> } }).error?.fields ?? {};
    return Object.entries(fields).some(([field, message]) => field === "body" && message.includes("batchId"));
  } catch {
    return false;
  }
}

/**
 * The event as the API accepts it, or null when it cannot be. The API refuses a whole batch for one
 * field it cannot store (a control character, a line break, a lone surrogate, too long, a time
 * outside its window), and every other flag's counts in the batch go with it: an error code taken
 * from an exception's message ("timeout\nat fetch…") would do that on every flush while the errors
 * last, just when guardrails need the counts. So an error code is cleaned into a label
 * (lib/domain/clean-text.ts); a variant name or (for single events) a targeting key the API would
 * refuse is left out, and summaries still count such a subject in their sketch, which never leaves
 * the client as text; an event whose timestamp is not a time, or not one the API takes, is dropped
 * (and counted as dropped) instead of throwing at the caller or costing the batch. `track` runs per
 * request, so an event that needs nothing is passed on as it is, after a few comparisons.
 */
function wireEvent(event: ReportedEvent, summarized: boolean, accepted: Set<string>): ReportedEvent | null {
  // What TypeScript promises and plain JavaScript callers may not keep.
  if ((event.variant !== "on" && event.variant !== "off") || (event.outcome !== "success" && event.outcome !== "error")) return null;
  if (!acceptedKey(event.flagKey, accepted)) return null;
  if (event.timestamp !== undefined) {
    const at = new Date(event.timestamp).getTime();
    const now = Date.now();
    if (!Number.isFinite(at) || at - now > MAX_CLOCK_SKEW_MS || now - at > MAX_EVENT_AGE_MS - SEND_MARGIN_MS) return null;
  }
  const { errorCode, variantName, targetingKey, reason, latencyMs } = event;
  const latencyOk = typeof latencyMs === "number" && latencyMs >= 0 && latencyMs <= MAX_LATENCY_MS;
  const reasonOk = reason === undefined || REASONS.has(reason);
  const variantOk = variantName === undefined || (event.variant === "on" && acceptedKey(variantName, accepted));
  const targetingOk = targetingKey === undefined || summarized || isWireKey(targetingKey, 200);
  if (errorCode === undefined && latencyOk && reasonOk && variantOk && targetingOk) return event;
  const code = errorCode === undefined || errorCode === null ? "" : cleanLabel(String(errorCode), 100);
  return {
    flagKey: event.flagKey,
    variant: event.variant,
    outcome: event.outcome,
    latencyMs: latencyOk ? latencyMs : Math.min(Math.max(0, Number.isFinite(latencyMs) ? latencyMs : 0), MAX_LATENCY_MS),
    ...(event.timestamp !== undefined ? { timestamp: event.timestamp } : {}),
    ...(reason !== undefined && reasonOk ? { reason } : {}),
    ...(code ? { errorCode: code } : {}),
    ...(variantName !== undefined && variantOk ? { variantName } : {}),
    ...(targetingKey !== undefined && targetingOk ? { targetingKey } : {}),
  };
}

const ITEM_PATH = { events: /^events\.(\d+)(?:\.|$)/, summaries: /^summaries\.(\d+)(?:\.|$)/ } as const;

/**
 * The indexes of `list` that a 400's field errors name (`events.3.latencyMs` → 3), when every error
 * names one and some of the batch is left; null when the batch as a whole was refused.
 */
export function refusedItems(body: string, list: "events" | "summaries", size: number): Set<number> | null {
  let fields: unknown;
  try {
    fields = (JSON.parse(body) as { error?: { fields?: unknown } }).error?.fields;
  } catch {
    return null;
  }
  if (!fields || typeof fields !== "object") return null;
  const named = new Set<number>();
  const item = ITEM_PATH[list];
  for (const path of Object.keys(fields)) {
    const match = item.exec(path);
    const index = match ? Number(match[1]) : NaN;
    if (!(index < size)) return null;
    named.add(index);
  }
  return named.size > 0 && named.size < size ? named : null;
}
