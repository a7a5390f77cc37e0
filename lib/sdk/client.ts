import {
  applyPatch,
  compileSnapshot,
  snapshotEnv,
  type CompiledSnapshot,
  type ConfigPatch,
  type ConfigSnapshot,
} from "../domain/config-snapshot";
import {
  evaluate,
  evaluateWithContext,
  isEvaluation,
  type CompiledFlag,
  type EvaluationEnv,
  type FlagRule,
  type Payload,
  type Reason,
  type TargetingReason,
  type Variant,
} from "../domain/evaluation";
import { targetingContextOf } from "../domain/targeting/context";
import { AudienceSampler } from "../domain/audience-sample";
import { EventReporter, type ReportedEvent } from "./event-reporter";
import { SseParser } from "./sse-parser";

export interface RollgateClientOptions {
  /** Base URL of Rollgate, e.g. https://rollgate.example.com */
  url: string;
  /** An SDK token; it decides the environment. */
  sdkKey: string;
  fetch?: typeof fetch;
  /** `connect()` rejects if no snapshot arrives within this time. Default 5 s. */
  initialTimeoutMs?: number;
  /** Upper bound of the reconnect backoff. Default 30 s. */
  maxReconnectDelayMs?: number;
  events?: { batchSize?: number; flushIntervalMs?: number; maxBuffer?: number; summarize?: boolean };
  /**
   * Send a sample of the users evaluated (at most 4,096 a day, with their context) so the dashboard
   * can say how many users a segment or a rollout phase reaches (README: "Audience reach"). Default
   * true; `false` sends no user ids or attributes beyond those in tracked outcomes.
   */
  sampleAudience?: boolean;
  onError?: (err: Error) => void;
}

/**
 * Who is asking: a targeting key, or OpenFeature-style attributes (`targetingKey`, `email`, `plan`, …)
 * for flags whose strategies read more than the key (README: "Targeting context").
 */
export type EvaluationSubject = string | Readonly<Record<string, unknown>> | undefined;

export interface EvaluationDetails {
  flagKey: string;
  value: boolean;
  /** Whether the flag is on for this subject, as events report it. */
  variant: Variant;
  reason: Reason | TargetingReason | "ERROR";
  /** A flag with variants: the served variant's name (Unleash's "disabled" when none is served). */
  variantName?: string;
  /** The served variant's payload (flags with variants). */
  payload?: Payload;
  errorCode?: "FLAG_NOT_FOUND" | "TARGETING_KEY_MISSING" | "PROVIDER_NOT_READY";
  flagVersion?: number;
}

type EventReason = NonNullable<ReportedEvent["reason"]>;

/**
 * How an evaluation is reported in events: on/off by whether the flag was on (a flag with variants
 * included: charts and guardrails compare the subjects it was on for with the rest), and its reason,
 * DEFAULT (on for nobody here) and errors counted as UNKNOWN; and, for a flag with variants that is
 * on, the variant's name, so its outcomes can also be compared variant by variant.
 */
export function reportedAs(d: Pick<EvaluationDetails, "value" | "reason" | "variantName">): {
  variant: "on" | "off";
  reason: EventReason;
  variantName?: string;
} {
  const reason = d.reason === "DEFAULT" || d.reason === "ERROR" ? "UNKNOWN" : d.reason;
  if (d.value && d.variantName !== undefined && d.variantName !== DISABLED_VARIANT)
    return { variant: "on", reason, variantName: d.variantName };
  return { variant: d.value ? "on" : "off", reason };
}

/** Unleash's name for "no variant" (the flag is off for the subject, or has no variants). */
const DISABLED_VARIANT = "disabled";

/** Rollgate refused the SDK key (HTTP 401: unknown or revoked; 403: not an SDK token). */
export class RollgateRefusedError extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(`Rollgate refused the SDK key (HTTP ${status}): ${detail}`);
    this.name = "RollgateRefusedError";
  }
}

type ChangeListener = (snapshot: { version: number; environment: string }) => void;

/** Ends a stream on purpose, to reconnect at once for a snapshot; not an error to report. */
class SnapshotNeeded extends Error {}

/**
 * Evaluates flags locally from a snapshot streamed by Rollgate (`GET /api/v1/stream`), with the same
 * evaluation core as the server, and follows the patches that come after it. When Rollgate is
 * unreachable it keeps serving the last snapshot and reconnects with backoff, sending the version it
 * holds so the server can send just the patches it missed.
 */
export class RollgateClient {
  private snapshot: CompiledSnapshot | null = null;
  private readonly fetchImpl: typeof fetch;
  private readonly reporter: EventReporter;
  private readonly audience: AudienceSampler | null;
  private readonly listeners = new Set<ChangeListener>();
  private abort: AbortController | null = null;
  /** Ends the wait before the next reconnect: close() must not leave a process waiting up to 30 s to exit. */
  private wakeFromBackoff: (() => void) | null = null;
  private closed = false;
  private retryMs = 1000;
  private failures = 0;
  // Set when a patch did not follow the version in hand: the next connection asks for a snapshot.
  private snapshotWanted = false;
  // Gaps in a row without a patch applied in between: the first reconnects at once, further ones
  // back off, so a server that keeps sending gaps cannot make the client spin.
  private gapsInARow = 0;
  private readonly stats = { snapshots: 0, patches: 0, gaps: 0 };
  private firstSnapshot: { resolve: () => void; reject: (err: Error) => void; promise: Promise<void> };
  connected = false;

  private constructor(private readonly options: RollgateClientOptions) {
    this.fetchImpl = options.fetch ?? fetch;
    this.audience = options.sampleAudience === false ? null : new AudienceSampler();
    this.reporter = new EventReporter({
      url: options.url.replace(/\/$/, ""),
      sdkKey: options.sdkKey,
      fetch: this.fetchImpl,
      onError: options.onError,
      audience: this.audience ?? undefined,
      ...options.events,
    });
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => {}); // observed by connect(); never an unhandled rejection
    this.firstSnapshot = { resolve, reject, promise };
  }

  /** Connects and resolves once the first snapshot is in. */
  static async connect(options: RollgateClientOptions): Promise<RollgateClient> {
    const client = new RollgateClient(options);
    void client.run();
    const timeout = options.initialTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.firstSnapshot.promise,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no configuration from ${options.url} within ${timeout} ms`)), timeout);
        }),
      ]);
    } catch (err) {
      await client.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  /** The configuration version being served, or null before the first snapshot. */
  get version(): number | null {
    return this.snapshot?.version ?? null;
  }

  get environment(): string | null {
    return this.snapshot?.environment ?? null;
  }

  /** How this client's configuration arrived: whole snapshots, patches applied, and version gaps seen. */
  get streamStats(): { snapshots: number; patches: number; gaps: number } {
    return { ...this.stats };
  }

  /** The configuration being served, as the server sent it (diagnostics); null before the first snapshot. */
  configuration(): ConfigSnapshot | null {
    const snapshot = this.snapshot;
    if (!snapshot) return null;
    const flags: Record<string, FlagRule> = {};
    for (const [key, flag] of snapshot.flags) flags[key] = flag.rule;
    const segments = Object.keys(snapshot.segments).length ? { segments: { ...snapshot.segments } } : {};
    return { environment: snapshot.environment, version: snapshot.version, flags, ...segments };
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  evaluate(flagKey: string, subject?: EvaluationSubject): EvaluationDetails {
    const snapshot = this.snapshot;
    if (!snapshot) return { flagKey, value: false, variant: "off", reason: "ERROR", errorCode: "PROVIDER_NOT_READY" };
    const flag = snapshot.flags.get(flagKey);
    if (!flag) return { flagKey, value: false, variant: "off", reason: "ERROR", errorCode: "FLAG_NOT_FOUND" };
    const result = this.evaluateFlag(snapshot, flag, subject);
    if (!isEvaluation(result))
      return { flagKey, value: false, variant: "off", reason: "ERROR", errorCode: result.error, flagVersion: flag.rule.version };
    const details: EvaluationDetails = {
      flagKey,
      value: result.value,
      variant: result.value ? "on" : "off",
      reason: result.reason,
      flagVersion: flag.rule.version,
    };
    if (flag.targeting?.multivariate) details.variantName = result.variant;
    if ("payload" in result && result.payload) details.payload = result.payload;
    return details;
  }

  /** The hot-path form: just the boolean, `defaultValue` on any error. */
  isEnabled(flagKey: string, subject?: EvaluationSubject, defaultValue = false): boolean {
    const snapshot = this.snapshot;
    const flag = snapshot?.flags.get(flagKey);
    if (!flag) return defaultValue;
    const result = this.evaluateFlag(snapshot!, flag, subject);
    return isEvaluation(result) ? result.value : defaultValue;
  }

  // The evaluation environment of the snapshot in hand (dependencies read its other flags).
  private env: { snapshot: CompiledSnapshot; env: EvaluationEnv } | null = null;

  /** A plain rollout needs only the key (the fast path); a targeted flag reads the whole context. */
  private evaluateFlag(snapshot: CompiledSnapshot, flag: CompiledFlag, subject: EvaluationSubject) {
    const targetingKey = typeof subject === "object" ? subject.targetingKey : subject;
    const key = typeof targetingKey === "string" ? targetingKey : undefined;
    if (flag.targeting === null) {
      // One hash and a comparison; the context is built only for a user who enters the sample.
      this.audience?.offer(key, () => targetingContextOf(typeof subject === "object" ? subject : { targetingKey: key }));
      return evaluate(flag, key);
    }
    const context = targetingContextOf(typeof subject === "object" ? subject : subject === undefined ? {} : { targetingKey: subject });
    this.audience?.offer(context.userId, () => context);
    context.environment ??= snapshot.environment;
    if (this.env?.snapshot !== snapshot) this.env = { snapshot, env: snapshotEnv(snapshot, { random: Math.random, now: Date.now }) };
    return evaluateWithContext(flag, context, this.env.env);
  }

  /** Records the outcome of work done under a flag; sent in batches in the background. */
  track(event: ReportedEvent): void {
    // The server refuses a whole batch of summaries that names a flag it does not have, so a summary
    // is only started for a flag this client is serving.
    if (this.options.events?.summarize !== false && !this.snapshot?.flags.has(event.flagKey)) {
      this.reporter.dropped++;
      return;
    }
    this.reporter.add(this.completed(event));
  }

  /**
   * The event with its reason and, for a flag with variants that was on, its variant's name: as the
   * caller gave them, else by evaluating again against the snapshot in hand. That is the answer the
   * caller got unless the flag changed in between; then the reason is UNKNOWN and no variant is named
   * rather than guessed. A variant name beside `off` is dropped (the server would refuse the batch).
   */
  private completed(event: ReportedEvent): ReportedEvent {
    const { variantName: given, ...rest } = event;
    const on = event.variant === "on";
    const snapshot = this.snapshot;
    const flag = snapshot?.flags.get(event.flagKey);
    const needsName = on && given === undefined && flag?.targeting?.multivariate === true;
    if (event.reason !== undefined && !needsName) return on && given !== undefined ? event : rest;
    const result = flag ? this.evaluateFlag(snapshot!, flag, event.targetingKey) : null;
    const reported =
      result && isEvaluation(result)
        ? reportedAs({ value: result.value, reason: result.reason, variantName: needsName ? result.variant : undefined })
        : null;
    const same = reported?.variant === event.variant;
    const variantName = on ? (given ?? (same ? reported!.variantName : undefined)) : undefined;
    return {
      ...rest,
      reason: event.reason ?? (same ? reported!.reason : "UNKNOWN"),
      ...(variantName !== undefined ? { variantName } : {}),
    };
  }

  flushEvents(): Promise<void> {
    return this.reporter.flush();
  }

  get eventStats() {
    return { pending: this.reporter.pending, sent: this.reporter.sent, dropped: this.reporter.dropped };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort?.abort();
    this.wakeFromBackoff?.();
    await this.reporter.close();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        await this.streamOnce();
      } catch (err) {
        if (this.closed) return;
        if (err instanceof SnapshotNeeded) {
          this.connected = false;
          if (this.gapsInARow <= 1) continue;
        } else {
          this.options.onError?.(err as Error);
        }
        // A refused key will not work on a retry: connect() fails now, not after its timeout. Once
        // serving, the client keeps its last snapshot and keeps trying (the key may be re-issued).
        if (err instanceof RollgateRefusedError && !this.snapshot) {
          this.firstSnapshot.reject(err);
          return;
        }
      }
      this.connected = false;
      if (this.closed) return;
      this.failures++;
      const base = Math.min(this.retryMs * 2 ** Math.min(this.failures - 1, 10), this.options.maxReconnectDelayMs ?? 30_000);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, base / 2 + Math.random() * (base / 2));
        this.wakeFromBackoff = () => (clearTimeout(timer), resolve());
      });
      this.wakeFromBackoff = null;
    }
  }

  private async streamOnce(): Promise<void> {
    this.abort = new AbortController();
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.sdkKey}`, accept: "text/event-stream" };
    // Without Last-Event-ID the server starts with the whole snapshot.
    if (this.snapshot && !this.snapshotWanted) headers["last-event-id"] = String(this.snapshot.version);
    const res = await this.fetchImpl(`${this.options.url.replace(/\/$/, "")}/api/v1/stream`, { headers, signal: this.abort.signal });
    if (res.status === 401 || res.status === 403) {
      const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
      throw new RollgateRefusedError(res.status, body?.error?.message ?? "the SDK key was refused");
    }
    if (!res.ok || !res.body) throw new Error(`stream answered HTTP ${res.status}`);
    this.connected = true;
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      for (const msg of parser.push(decoder.decode(value, { stream: true }))) {
        if (msg.retry !== undefined) this.retryMs = msg.retry;
        if (msg.event === "config") this.apply(JSON.parse(msg.data) as ConfigSnapshot);
        else if (msg.event === "patch" && !this.applyPatch(JSON.parse(msg.data) as ConfigPatch)) {
          await reader.cancel().catch(() => {});
          this.abort.abort();
          throw new SnapshotNeeded("a configuration patch did not follow the version in hand");
        }
      }
    }
  }

  private apply(wire: ConfigSnapshot): void {
    // An older snapshot (an instance that is behind) is ignored, unless this client asked for one
    // because its own version is in doubt.
    const stale = this.snapshot && this.snapshot.version >= wire.version && this.snapshot.environment === wire.environment;
    if (stale && !this.snapshotWanted) return;
    this.snapshotWanted = false;
    this.stats.snapshots++;
    this.installed(compileSnapshot(wire));
  }

  /** False when the patch does not start at the version in hand: a change was missed. */
  private applyPatch(patch: ConfigPatch): boolean {
    const current = this.snapshot;
    if (!current || current.environment !== patch.environment) return this.gap();
    if (patch.version <= current.version) return true; // already have it (e.g. from another instance)
    if (patch.from !== current.version) return this.gap();
    this.gapsInARow = 0;
    this.stats.patches++;
    this.installed(applyPatch(current, patch));
    return true;
  }

  private gap(): false {
    this.stats.gaps++;
    this.gapsInARow++;
    this.snapshotWanted = true;
    return false;
  }

  private installed(snapshot: CompiledSnapshot): void {
    this.snapshot = snapshot;
    this.failures = 0;
    this.firstSnapshot.resolve();
    for (const l of this.listeners) l({ version: snapshot.version, environment: snapshot.environment });
  }
}
