import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Db } from "../db/client";
import { createBoundedClient, INTERACTIVE_LIMITS } from "../db/bounded-pool";
import { logFailure } from "../db/outage-log";
import { hashSecret } from "../auth/secrets";
import { applyPatch, compileSnapshot, diffSnapshot, sameRule, type CompiledSnapshot, type ConfigPatch } from "../domain/config-snapshot";
import { ruleSegmentIds, type FlagRule } from "../domain/evaluation";
import { stableStringify } from "../domain/stable-json";
import { uuidParam } from "../validation/text";
import type { Segment } from "../domain/targeting/model";
import { METRICS_CHANNEL, type MetricsChange } from "../metrics/metrics-notifier";
import { ChangeHistory, DEFAULT_HISTORY_LIMITS, type HistoryLimits, type RecordedPatch } from "./change-history";
import { latestStartedWins } from "./latest-started-wins";
import { loadConfigVersions, loadFlagRules, loadSdkTokens, loadSnapshot, type SdkTokenEntry } from "./load-snapshot";

/**
 * Called with each new snapshot and, when this instance held the one before it, the patch from
 * that one to this (null for an environment's first snapshot).
 */
type Listener = (snapshot: CompiledSnapshot, change: RecordedPatch | null) => void;

/** What one configuration version changed, as its NOTIFY named it: a flag's state, or a segment. */
type ChangeHint = { flag: string } | { segment: number };

const RELOAD_FAILED = { one: "configuration reload failed", many: "configuration reloads failed" };

/** caughtUp's channel: an instance hears its own NOTIFY there once it has heard everything before it. */
const MARKER_CHANNEL = "rollgate_caught_up";

/**
 * The data plane's view of configuration: every environment's compiled snapshot and the live SDK
 * tokens, held in memory. Postgres NOTIFY (sent by triggers in the writing transaction) tells it
 * what to reload; evaluation never waits on the database. If the LISTEN connection drops, it
 * reconnects and reloads everything, since notifications sent meanwhile are lost; a slow poll of
 * the version numbers backs this up.
 */
export class ConfigStore {
  private snapshots = new Map<string, CompiledSnapshot>();
  private sdkTokens = new Map<string, SdkTokenEntry>();
  // Raw token → environment for tokens seen recently, so the hot path skips hashing. Cleared whenever
  // the token set reloads, so a revocation takes effect as soon as the NOTIFY arrives.
  private tokenCache = new Map<string, SdkTokenEntry>();
  // Start-up, the poll and NOTIFY rollgate_tokens each reload the token set, and their reads can finish
  // out of order: a poll that read the table just before a revocation must not bring the token back
  // after the notified reload dropped it (nor hide a token just created).
  private readonly applySdkTokens = latestStartedWins((tokens: Map<string, SdkTokenEntry>) => this.setSdkTokens(tokens));
  private listeners = new Map<string, Set<Listener>>();
  private rolloutListeners = new Set<(rolloutId: string) => void>();
  private metricsListeners = new Set<(change: MetricsChange) => void>();
  private allListeners = new Set<Listener>();
  private sdkTokenListeners = new Set<() => void>();
  private credentialListeners = new Set<(userId: string | null) => void>();
  private reloading = new Map<string, Promise<void>>();
  // The SDK token reload a NOTIFY set going last (caughtUp waits for it).
  private tokenReload: Promise<unknown> | null = null;
  // caughtUp's own notifications, by payload: this instance's prefix and a sequence number.
  private readonly markerPrefix = `${randomUUID()}:`;
  private markerSeq = 0;
  private markers = new Map<string, () => void>();
  // Environment → the highest version asked for while its reload was running (Infinity: unknown).
  private pending = new Map<string, number>();
  // Single-flag and single-segment changes announced per environment since the last reload: the next
  // reload reads just those flags (and a segment with the flags using it) when they are exactly the
  // versions that follow the snapshot in hand.
  private patchHints = new Map<string, Map<number, ChangeHint>>();
  /** How often a change was applied by reloading one flag vs. the whole environment (benchmarks). */
  readonly reloads = { patched: 0, full: 0 };
  /** The same, per environment (for /metrics). */
  readonly reloadsByEnvironment = new Map<string, { patched: number; full: number }>();
  private readonly history: ChangeHistory;
  private listener: pg.Client | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** True once every environment's configuration has been loaded (start() done). */
  loaded = false;

  constructor(
    private readonly db: Db,
    private readonly databaseUrl: string,
    private readonly options: { pollMs?: number; log?: (msg: string) => void; history?: Partial<HistoryLimits> } = {},
  ) {
    this.history = new ChangeHistory({ ...DEFAULT_HISTORY_LIMITS, ...options.history });
  }

  async start(): Promise<void> {
    await this.connectListener();
    await this.reloadAll();
    this.loaded = true;
    this.pollTimer = setInterval(() => void this.poll(), this.options.pollMs ?? 30_000);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.listener?.end().catch(() => {});
    this.listener = null;
  }

  /**
   * Whether the store hears about changes as they commit. While its LISTEN connection is down (the
   * database is unreachable), the snapshots still serve but may be stale.
   */
  get listening(): boolean {
    return this.listener !== null;
  }

  private reloadsOf(environment: string): { patched: number; full: number } {
    let counts = this.reloadsByEnvironment.get(environment);
    if (!counts) this.reloadsByEnvironment.set(environment, (counts = { patched: 0, full: 0 }));
    return counts;
  }

  environments(): string[] {
    return [...this.snapshots.keys()];
  }

  snapshot(environment: string): CompiledSnapshot | undefined {
    return this.snapshots.get(environment);
  }

  /**
   * The patches that take a client holding `version` to the current snapshot, in order (empty when
   * it is current); null when this instance cannot say, and the client needs the snapshot.
   */
  patchesSince(environment: string, version: number): RecordedPatch[] | null {
    const current = this.snapshots.get(environment);
    if (!current || version > current.version) return null;
    return this.history.since(environment, version, current.version);
  }

  /** Patches and bytes of patch JSON held for reconnecting clients (benchmarks, diagnostics). */
  historySize(): { patches: number; bytes: number } {
    return this.history.size();
  }

  /** The environment an SDK token is bound to, or undefined when it is unknown or revoked. */
  environmentOfSdkToken(token: string): string | undefined {
    return this.sdkToken(token)?.environment;
  }

  /** The SDK token's environment and id, or undefined when it is unknown or revoked. */
  sdkToken(token: string): SdkTokenEntry | undefined {
    const cached = this.tokenCache.get(token);
    if (cached !== undefined) return cached;
    const entry = this.sdkTokens.get(hashSecret(token));
    // A token for an environment this instance has not loaded yet (just created): load it now.
    if (entry !== undefined && !this.snapshots.has(entry.environment)) void this.reload(entry.environment).catch(() => {});
    if (entry !== undefined) {
      if (this.tokenCache.size >= 10_000) this.tokenCache.clear();
      this.tokenCache.set(token, entry);
    }
    return entry;
  }

  /**
   * A live SDK token by id, with its hash (what OFREP event-stream tickets are signed with); undefined
   * when unknown or revoked. A scan: it runs when a stream connects, not per evaluation.
   */
  sdkTokenById(id: string): { id: string; hash: string; environment: string } | undefined {
    for (const [hash, entry] of this.sdkTokens) if (entry.id === id) return { id, hash, environment: entry.environment };
    return undefined;
  }

  /**
   * `sdkTokenById`, except that an id this store does not know is looked up in the database. The data
   * plane accepts a token created a moment ago on the database's word, before its NOTIFY has reached
   * this store (sdk-auth.ts), so the event-stream ticket that bulk answer handed out must work at once
   * too. One primary-key read per unknown id, as sdk-auth pays one per unknown token.
   */
  async sdkTokenByIdOrDatabase(id: string): Promise<{ id: string; hash: string; environment: string } | undefined> {
    const known = this.sdkTokenById(id);
    const uuid = uuidParam(id);
    if (known || !uuid) return known;
    const row = await this.db.apiToken
      .findUnique({ where: { id: uuid }, select: { tokenHash: true, environmentKey: true, kind: true, revokedAt: true } })
      .catch(() => null);
    if (!row || row.kind !== "sdk" || row.revokedAt || !row.environmentKey) return undefined;
    return { id, hash: row.tokenHash, environment: row.environmentKey };
  }

  private reloadSdkTokens(): Promise<boolean> {
    return this.applySdkTokens(() => loadSdkTokens(this.db));
  }

  private setSdkTokens(tokens: Map<string, SdkTokenEntry>): void {
    this.sdkTokens = tokens;
    this.tokenCache = new Map();
    for (const l of [...this.sdkTokenListeners]) {
      try {
        l();
      } catch (err) {
        this.options.log?.(`SDK token listener failed: ${String(err)}`);
      }
    }
  }

  /**
   * Called after every reload of the SDK token set (a token created, revoked or deleted anywhere,
   * and the periodic poll), so open streams can check their token still resolves.
   */
  subscribeSdkTokens(listener: () => void): () => void {
    this.sdkTokenListeners.add(listener);
    return () => this.sdkTokenListeners.delete(listener);
  }

  /**
   * Called with a user's id when one of their credentials may have ended (session deleted, token
   * revoked, user disabled or re-roled: NOTIFY rollgate_credentials), and with null after the LISTEN
   * connection reconnects, since notifications sent while it was down are lost.
   */
  subscribeCredentials(listener: (userId: string | null) => void): () => void {
    this.credentialListeners.add(listener);
    return () => this.credentialListeners.delete(listener);
  }

  private credentialsChanged(userId: string | null): void {
    for (const l of [...this.credentialListeners]) {
      try {
        l(userId);
      } catch (err) {
        this.options.log?.(`credential listener failed: ${String(err)}`);
      }
    }
  }

  /** Every environment's changes, including environments added later (the dashboard's stream). */
  /** Called with a rollout's id whenever it, its approvals or its checklist change (any instance). */
  subscribeRollouts(listener: (rolloutId: string) => void): () => void {
    this.rolloutListeners.add(listener);
    return () => this.rolloutListeners.delete(listener);
  }

  /** Called when new events landed (on any instance), throttled by the sender: charts reload on it. */
  subscribeMetrics(listener: (change: MetricsChange) => void): () => void {
    this.metricsListeners.add(listener);
    return () => this.metricsListeners.delete(listener);
  }

  subscribeAll(listener: Listener): () => void {
    this.allListeners.add(listener);
    return () => this.allListeners.delete(listener);
  }

  subscribe(environment: string, listener: Listener): () => void {
    let set = this.listeners.get(environment);
    if (!set) this.listeners.set(environment, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Reloads one environment up to at least `version` (unknown: Infinity); concurrent requests coalesce
   * into at most one extra load, and none when what the running one loaded already reaches theirs.
   */
  reload(environment: string, version = Infinity): Promise<void> {
    const running = this.reloading.get(environment);
    if (running) {
      this.pending.set(environment, Math.max(this.pending.get(environment) ?? -Infinity, version));
      return running;
    }
    // Started after it is registered: a reload with nothing to do ends without awaiting anything, and
    // would otherwise end (and unregister) before it was registered, left behind as "running" forever.
    const run: Promise<void> = Promise.resolve().then(async () => {
      try {
        let wanted = version;
        do {
          // The most asked for: also what a reload that failed left pending.
          wanted = Math.max(wanted, this.pending.get(environment) ?? -Infinity);
          this.pending.delete(environment);
          const hints = this.patchHints.get(environment);
          this.patchHints.delete(environment);
          // A change announced while the last load ran is often in what it read (a full reload reads
          // the latest): then loading again would be a second full reload for nothing.
          if ((this.snapshots.get(environment)?.version ?? -1) >= wanted) continue;
          if (hints && (await this.tryPatch(environment, hints, wanted))) continue;
          this.reloads.full++;
          this.reloadsOf(environment).full++;
          const loaded = await loadSnapshot(this.db, environment);
          if (!loaded) {
            this.snapshots.delete(environment);
            this.history.reset(environment);
            continue;
          }
          const current = this.snapshots.get(environment);
          if (current && current.version >= loaded.version) continue;
          // Diffed against the snapshot in hand, so subscribers get a patch even from a full reload,
          // and unchanged flags keep their compiled form.
          if (current) {
            const patch = diffSnapshot(current, loaded);
            this.publish(environment, applyPatch(current, patch), patch);
          } else {
            this.publish(environment, compileSnapshot(loaded), null);
          }
        } while (this.pending.has(environment));
      } finally {
        if (this.reloading.get(environment) === run) this.reloading.delete(environment);
      }
    });
    this.reloading.set(environment, run);
    return run;
  }

  private publish(environment: string, compiled: CompiledSnapshot, patch: ConfigPatch | null): void {
    this.snapshots.set(environment, compiled);
    let change: RecordedPatch | null = null;
    if (patch) change = this.history.record(patch);
    else this.history.reset(environment);
    for (const l of [...(this.listeners.get(environment) ?? []), ...this.allListeners]) {
      try {
        l(compiled, change);
      } catch (err) {
        this.options.log?.(`config listener failed: ${String(err)}`);
      }
    }
  }

  /**
   * Applies the announced one-flag changes by reading those flags alone, when they are exactly the
   * versions after the snapshot in hand and nothing else changed meanwhile (the flags and the version
   * are read in one statement); false otherwise, and the caller reloads everything.
   */
  private async tryPatch(environment: string, hints: Map<number, ChangeHint>, wanted: number): Promise<boolean> {
    const current = this.snapshots.get(environment);
    if (!current) return false;
    const last = Math.max(...hints.keys());
    // Hints that stop short of what was announced leave a change nobody named.
    if (last < wanted) return false;
    const flagIds = new Set<string>();
    const segmentIds = new Set<number>();
    for (let v = current.version + 1; v <= last; v++) {
      const hint = hints.get(v);
      if (!hint) return false; // a change nobody named (or a lost notification)
      if ("flag" in hint) flagIds.add(hint.flag);
      else segmentIds.add(hint.segment);
    }
    if (!flagIds.size && !segmentIds.size) return true; // already applied
    const loaded = await loadFlagRules(this.db, environment, [...flagIds], [...segmentIds]);
    if (!loaded || this.snapshots.get(environment) !== current || loaded.version !== last || loaded.flags.some((f) => f.key === null)) {
      return false;
    }
    const flags: Record<string, FlagRule> = {};
    const removed: string[] = [];
    // A changed segment is sent with every flag that uses it (read above), changed or not, so a client
    // recompiles them; a segment a changed flag starts using is sent with it.
    const segments: Record<string, Segment> = {};
    for (const [id, segment] of Object.entries(loaded.segments)) {
      const had = current.segments[id];
      if (segmentIds.has(segment.id) || !had || stableStringify(had) !== stableStringify(segment)) segments[id] = segment;
    }
    // Strategies' segments and a rollout phase's alike (what a full reload's diff reads).
    const usesChanged = (rule: FlagRule) => ruleSegmentIds(rule).some((id) => Object.hasOwn(segments, String(id)));
    for (const f of loaded.flags) {
      const had = current.flags.get(f.key!);
      if (f.rule && !(had && sameRule(had.rule, f.rule) && !usesChanged(f.rule))) flags[f.key!] = f.rule;
      else if (!f.rule && had) removed.push(f.key!);
    }
    const patch: ConfigPatch = { environment, from: current.version, version: loaded.version, flags, removed };
    if (Object.keys(segments).length) patch.segments = segments;
    this.reloads.patched++;
    this.reloadsOf(environment).patched++;
    this.publish(environment, applyPatch(current, patch), patch);
    return true;
  }

  /**
   * True once this instance has heard every NOTIFY committed before the call and applied what they
   * announced (configuration reloaded, SDK tokens reloaded, credentials forgotten); false if `timeoutMs`
   * passes first, or at once while the LISTEN connection is down (then only the poll brings changes,
   * and a write should not wait on it). It sends a NOTIFY of its own and waits to hear it: PostgreSQL
   * delivers a listener's notifications in the order they were queued, and a committed write queued
   * its before this one. A write waits on this before answering (served-here.ts).
   */
  async caughtUp(timeoutMs: number): Promise<boolean> {
    if (!this.listening) return false;
    const marker = `${this.markerPrefix}${++this.markerSeq}`;
    const heard = new Promise<void>((resolve) => this.markers.set(marker, resolve));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      await this.db.$executeRaw`SELECT pg_notify(${MARKER_CHANNEL}, ${marker})`;
      return await Promise.race([heard.then(() => this.settled()).then(() => true as const), late]);
    } finally {
      clearTimeout(timer);
      this.markers.delete(marker);
    }
  }

  /** What the notifications heard so far set going, done. */
  private async settled(): Promise<void> {
    await Promise.all([...this.reloading.values(), this.tokenReload].map((p) => p?.catch(() => {})));
  }

  async reloadAll(): Promise<void> {
    const [versions] = await Promise.all([loadConfigVersions(this.db), this.reloadSdkTokens()]);
    await Promise.all([...versions].map(([env, version]) => this.reload(env, version)));
  }

  private async poll(): Promise<void> {
    try {
      const versions = await loadConfigVersions(this.db);
      for (const [env, version] of versions) {
        if ((this.snapshots.get(env)?.version ?? 0) < version) {
          // Logged like a notified reload's failure, not left as an unhandled rejection.
          void this.reload(env, version).catch((err: unknown) =>
            logFailure(this.options.log, RELOAD_FAILED, err, `reload ${env} failed: ${String(err)}`),
          );
        }
      }
      await this.reloadSdkTokens();
    } catch (err) {
      logFailure(this.options.log, RELOAD_FAILED, err, `config poll failed: ${String(err)}`);
    }
  }

  private async connectListener(): Promise<void> {
    // Bounded like every connection: a reconnect to a hung database gives up and tries again later.
    const client = createBoundedClient(this.databaseUrl, { limits: INTERACTIVE_LIMITS });
    client.on("notification", (msg) => {
      if (msg.channel === "rollgate_rollouts") {
        try {
          const { id } = JSON.parse(msg.payload ?? "{}") as { id?: string };
          if (id) for (const l of this.rolloutListeners) l(id);
        } catch {
          // Not ours; ignore.
        }
        return;
      }
      if (msg.channel === METRICS_CHANNEL) {
        try {
          const change = JSON.parse(msg.payload ?? "{}") as MetricsChange;
          if (typeof change.environment === "string") for (const l of this.metricsListeners) l(change);
        } catch {
          // Not ours; ignore.
        }
        return;
      }
      if (msg.channel === "rollgate_credentials") {
        try {
          const { userId } = JSON.parse(msg.payload ?? "{}") as { userId?: string };
          if (typeof userId === "string") this.credentialsChanged(userId);
        } catch {
          // Not ours; ignore.
        }
        return;
      }
      if (msg.channel === "rollgate_tokens") {
        const reload = (this.tokenReload = this.reloadSdkTokens().catch(() => {}));
        void reload.finally(() => {
          if (this.tokenReload === reload) this.tokenReload = null;
        });
        return;
      }
      if (msg.channel === MARKER_CHANNEL) {
        this.markers.get(msg.payload ?? "")?.();
        return;
      }
      try {
        const { environment, version, flag, segment } = JSON.parse(msg.payload ?? "{}") as {
          environment?: string;
          version?: number;
          flag?: string;
          segment?: number;
        };
        if (!environment) return;
        if ((this.snapshots.get(environment)?.version ?? 0) >= (version ?? Infinity)) return;
        const hint: ChangeHint | null = flag ? { flag } : typeof segment === "number" ? { segment } : null;
        if (hint && version !== undefined) {
          let hints = this.patchHints.get(environment);
          if (!hints) this.patchHints.set(environment, (hints = new Map()));
          hints.set(version, hint);
        }
        void this.reload(environment, version ?? Infinity).catch((err: unknown) =>
          logFailure(this.options.log, RELOAD_FAILED, err, `reload ${environment} failed: ${String(err)}`),
        );
      } catch {
        // Not ours; ignore.
      }
    });
    client.on("error", () => this.scheduleReconnect(client));
    client.on("end", () => this.scheduleReconnect(client));
    await client.connect();
    await client.query(
      `LISTEN rollgate_config; LISTEN rollgate_tokens; LISTEN rollgate_rollouts; LISTEN rollgate_credentials; LISTEN ${METRICS_CHANNEL}; LISTEN ${MARKER_CHANNEL}`,
    );
    this.listener = client;
  }

  private scheduleReconnect(client: pg.Client, delayMs = 500): void {
    if (this.stopped || this.listener !== client) return;
    this.listener = null;
    this.options.log?.("config listener disconnected; reconnecting");
    const attempt = async (delay: number) => {
      if (this.stopped) return;
      try {
        await this.connectListener();
        await this.reloadAll();
        // Metrics notifications sent meanwhile are lost: whatever was derived from them is stale.
        for (const environment of this.snapshots.keys()) for (const l of this.metricsListeners) l({ environment, flags: null });
        this.credentialsChanged(null);
        this.options.log?.("config listener reconnected");
      } catch {
        setTimeout(() => void attempt(Math.min(delay * 2, 10_000)), delay).unref();
      }
    };
    setTimeout(() => void attempt(delayMs), delayMs).unref();
  }
}
