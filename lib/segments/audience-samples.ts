import type { Db, Tx } from "../db/client";
import {
  AUDIENCE_SAMPLE_SIZE,
  AudienceSampler,
  audienceHash,
  sampledContext,
  type AudienceSample,
  type SampledUser,
} from "../domain/audience-sample";
import type { TargetingContext } from "../domain/targeting/model";
import { logger } from "../log/logger";
import { logFailure, type FailureKind } from "../db/outage-log";

const log = logger("audience");
const WRITE_FAILED: FailureKind = { one: "audience sample write failed", many: "audience sample writes failed" };
const DAY_MS = 24 * 3600 * 1000;
const WEEK_DAYS = 7;
const isoDay = (t: number) => new Date(Math.floor(t / DAY_MS) * DAY_MS).toISOString().slice(0, 10);

/**
 * Adds users seen in `environment` today to the day's sample (audience_samples), keeping the day's
 * 4,096 smallest hashes. The hash is computed here from the user id, never taken from the sender.
 * One writer per environment at a time (an advisory lock): an insert and another writer's trim
 * would otherwise lock the same rows in opposite orders.
 */
export async function recordAudience(
  db: Db,
  environment: string,
  contexts: readonly TargetingContext[],
  now = Date.now(),
): Promise<number> {
  if (!contexts.some((c) => c.userId)) return 0;
  const added = await db.$transaction((tx) => addToDaySample(tx, environment, contexts, now));
  weekCache.delete(environment);
  return added;
}

/** recordAudience's write, inside the caller's transaction (the demo seed writes its users with it). */
export async function addToDaySample(
  tx: Tx,
  environment: string,
  contexts: readonly TargetingContext[],
  now = Date.now(),
): Promise<number> {
  const rows = new Map<string, { user_id: string; subject_hash: number; context: TargetingContext }>();
  for (const c of contexts)
    if (c.userId) rows.set(c.userId, { user_id: c.userId, subject_hash: audienceHash(c.userId), context: sampledContext(c.userId, c) });
  if (rows.size === 0) return 0;
  const day = isoDay(now);
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('rollgate_audience:' || ${environment}))`;
  const inserted = await tx.$executeRaw`
      INSERT INTO audience_samples (environment_key, day, user_id, subject_hash, context)
      SELECT ${environment}, ${day}::date, x.user_id, x.subject_hash, x.context
        FROM jsonb_to_recordset(${JSON.stringify([...rows.values()])}::jsonb) AS x(user_id text, subject_hash bigint, context jsonb)
       WHERE x.subject_hash <= COALESCE((
               SELECT subject_hash FROM audience_samples
                WHERE environment_key = ${environment} AND day = ${day}::date
                ORDER BY subject_hash OFFSET ${AUDIENCE_SAMPLE_SIZE - 1} LIMIT 1), 4294967295)
      ON CONFLICT (environment_key, day, user_id) DO UPDATE SET context = EXCLUDED.context`;
  if (inserted > 0)
    await tx.$executeRaw`
        DELETE FROM audience_samples
         WHERE environment_key = ${environment} AND day = ${day}::date
           AND subject_hash > (SELECT subject_hash FROM audience_samples
                                WHERE environment_key = ${environment} AND day = ${day}::date
                                ORDER BY subject_hash OFFSET ${AUDIENCE_SAMPLE_SIZE - 1} LIMIT 1)`;
  return inserted;
}

const CACHE_MS = 60_000;
// On globalThis: the data plane that records users and the Next.js routes that read the week are
// separate bundles of this module in one process, and a recording must reach the routes' cache.
const shared = globalThis as unknown as {
  __rollgateAudienceWeek?: Map<string, { at: number; day: string; sample: Promise<AudienceSample> }>;
};
const weekCache = (shared.__rollgateAudienceWeek ??= new Map());

/** Forgets every cached week: the database behind them is no longer this process's (scripts/start.ts). */
export function forgetAudienceWeeks(): void {
  weekCache.clear();
}

/**
 * The users seen in `environment` over the last seven UTC days (today included), merged: each user
 * once with their latest context, the 4,096 smallest hashes. Cached for a minute per environment
 * (and dropped when this instance records new users), since a week's count moves slowly.
 */
export function weekSample(db: Db | Tx, environment: string, now = Date.now()): Promise<AudienceSample> {
  const day = isoDay(now);
  const cached = weekCache.get(environment);
  if (cached && cached.day === day && now - cached.at < CACHE_MS) return cached.sample;
  const sample = readWeekSample(db, environment, day);
  weekCache.set(environment, { at: now, day, sample });
  sample.catch(() => weekCache.delete(environment));
  return sample;
}

async function readWeekSample(db: Db | Tx, environment: string, day: string): Promise<AudienceSample> {
  const rows = await db.$queryRaw<{ subject_hash: bigint; context: TargetingContext }[]>`
    SELECT subject_hash, context FROM (
      SELECT DISTINCT ON (user_id) user_id, subject_hash, context
        FROM audience_samples
       WHERE environment_key = ${environment}
         AND day > ${day}::date - ${WEEK_DAYS}::int AND day <= ${day}::date
       ORDER BY user_id, day DESC) latest
    ORDER BY subject_hash LIMIT ${AUDIENCE_SAMPLE_SIZE}`;
  return { size: AUDIENCE_SAMPLE_SIZE, users: rows.map((r) => ({ hash: Number(r.subject_hash), context: r.context })) };
}

const SEND_LIMIT = 500;

/**
 * The samples of the users OFREP evaluates, one per environment, written to the database every
 * `intervalMs` (only the users who entered since the last write: after the first minutes of a day,
 * a handful). Evaluation itself never waits for the database.
 */
export class AudienceCollector {
  private readonly samplers = new Map<string, { day: string; sampler: AudienceSampler }>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;

  constructor(private readonly db: Db) {}

  offer(environment: string, userId: string | undefined, context: () => TargetingContext): void {
    if (!userId) return;
    let entry = this.samplers.get(environment);
    if (!entry) this.samplers.set(environment, (entry = { day: isoDay(Date.now()), sampler: new AudienceSampler() }));
    entry.sampler.offer(userId, context);
  }

  start(intervalMs: number): this {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
    return this;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  flush(): Promise<void> {
    this.writing ??= this.write().finally(() => (this.writing = null));
    return this.writing;
  }

  private async write(): Promise<void> {
    const today = isoDay(Date.now());
    for (const [environment, entry] of this.samplers) {
      const users: SampledUser[] = entry.sampler.take(SEND_LIMIT);
      if (entry.day !== today) {
        entry.day = today;
        entry.sampler.clear();
      }
      if (users.length === 0) continue;
      try {
        await recordAudience(
          this.db,
          environment,
          users.map((u) => u.context),
        );
      } catch (err) {
        // Sizing audiences is best effort: the users go back and are written at the next pass. An
        // outage is told once per window with the other workers' failures, not once per pass.
        if (entry.day === today) entry.sampler.giveBack(users);
        logFailure((line) => log.warn(line), WRITE_FAILED, err, `could not record the users seen in ${environment}: ${String(err)}`);
        return;
      }
    }
  }
}
