import type { Db, Tx } from "../db/client";

/** The advisory-lock key of this worker (see lib/rollouts/auto-advance.ts for the others). */
export const RETENTION_LOCK = 7346010013;
const DAY_MS = 24 * 3600 * 1000;
/** Events are accepted up to 7 days old, so an erroring subject must be remembered that long. */
const LATE_EVENT_DAYS = 7;
const DAYS_AHEAD = 3;
const AUDIENCE_DAYS = 8;

export interface RetentionSettings {
  /** Raw events are kept at least this many days (whole UTC days: at most one day longer). */
  eventDays: number;
  /** Per-minute rollups, which every chart and gate reads, are kept this many days. */
  rollupDays: number;
}

export interface RetentionResult {
  partitionsCreated: number;
  partitionsDropped: number;
  rollupsDeleted: number;
  errorSubjectsDeleted: number;
}

const utcDay = (t: number) => new Date(Math.floor(t / DAY_MS) * DAY_MS);
const isoDate = (d: Date) => d.toISOString().slice(0, 10);

/**
 * One pass of raw-event retention on one instance at a time: creates the daily partitions for the
 * days events may arrive in (from the oldest day still kept to a few days ahead), drops whole days
 * past retention, and deletes rollups past theirs. Returns null when another instance holds the lock.
 *
 * Two transactions: the partition functions take the schema lock (migration 20261207000100), which
 * is held until their transaction ends, so they commit before the deletes start. Otherwise the lock
 * stayed held through minutes of deletes, and a migration changing a rollup table that then ran
 * rollgate_lock_down() would wait for the lock while retention waited for its table.
 */
export async function applyRetention(db: Db, settings: RetentionSettings, now = new Date()): Promise<RetentionResult | null> {
  const keepSince = utcDay(now.getTime() - settings.eventDays * DAY_MS);
  const partitions = await db.$transaction(
    async (tx) => {
      if (!(await retentionLock(tx))) return null;
      const firstDay = utcDay(now.getTime() - Math.min(settings.eventDays, LATE_EVENT_DAYS) * DAY_MS);
      const lastDay = utcDay(now.getTime() + DAYS_AHEAD * DAY_MS);
      const [created] = await tx.$queryRaw<{ n: number }[]>`
        SELECT rollgate_ensure_event_partitions(${isoDate(firstDay)}::date, ${isoDate(lastDay)}::date) AS n`;
      const [dropped] = await tx.$queryRaw<{ n: number }[]>`SELECT rollgate_prune_events(${keepSince}::timestamptz) AS n`;
      return { partitionsCreated: created?.n ?? 0, partitionsDropped: dropped?.n ?? 0 };
    },
    { timeout: 300_000, maxWait: 10_000 },
  );
  if (!partitions) return null;
  const deleted = await db.$transaction(
    async (tx) => {
      // Another instance's pass that began in between does these deletes itself.
      if (!(await retentionLock(tx))) return null;
      const subjectsSince = new Date(Math.min(keepSince.getTime(), now.getTime() - (LATE_EVENT_DAYS + 1) * DAY_MS));
      const errorSubjectsDeleted = await tx.$executeRaw`DELETE FROM metric_error_subjects WHERE minute < ${subjectsSince}::timestamptz`;
      const rollupsSince = new Date(now.getTime() - settings.rollupDays * DAY_MS);
      const rollupsDeleted = await tx.$executeRaw`DELETE FROM metric_rollups WHERE minute < ${rollupsSince}::timestamptz`;
      // The delete above took its minutes off their hours (migration 20261208000100); hours wholly before
      // the cut are now empty rows.
      await tx.$executeRaw`DELETE FROM metric_split_hours WHERE hour < date_trunc('hour', ${rollupsSince}::timestamptz)`;
      await tx.$executeRaw`DELETE FROM metric_rollups_by_token WHERE minute < ${rollupsSince}::timestamptz`;
      await tx.$executeRaw`DELETE FROM metric_token_totals WHERE minute < ${rollupsSince}::timestamptz`;
      await tx.$executeRaw`DELETE FROM metric_variant_rollups WHERE minute < ${rollupsSince}::timestamptz`;
      // Who was seen is kept for the week a reach is counted over, and one day more.
      await tx.$executeRaw`DELETE FROM audience_samples WHERE day < ${isoDate(utcDay(now.getTime() - AUDIENCE_DAYS * DAY_MS))}::date`;
      // An SDK sends a batch again within its backoff (30 s at most): a day of batch ids is plenty.
      await tx.$executeRaw`DELETE FROM ingest_batches WHERE received_at < ${new Date(now.getTime() - DAY_MS)}::timestamptz`;
      return { rollupsDeleted, errorSubjectsDeleted };
    },
    { timeout: 300_000, maxWait: 10_000 },
  );
  return { ...partitions, rollupsDeleted: deleted?.rollupsDeleted ?? 0, errorSubjectsDeleted: deleted?.errorSubjectsDeleted ?? 0 };
}

/** This worker's lock for the transaction, if no other instance holds it. */
async function retentionLock(tx: Tx): Promise<boolean> {
  const lock = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${RETENTION_LOCK}) AS locked`;
  return lock[0]?.locked === true;
}

/** Runs retention now and then every `intervalMs` (default hourly). */
export function startRetention(db: Db, settings: RetentionSettings, options: { intervalMs?: number; log?: (m: string) => void } = {}) {
  let running: Promise<unknown> | null = null;
  const tick = () => {
    if (running) return running;
    running = applyRetention(db, settings)
      .then((r) => {
        if (r && (r.partitionsCreated || r.partitionsDropped || r.rollupsDeleted))
          options.log?.(
            `retention: ${r.partitionsCreated} event partition(s) created, ${r.partitionsDropped} dropped, ${r.rollupsDeleted} rollup row(s) deleted`,
          );
      })
      .catch((err: unknown) => options.log?.(`retention failed: ${String(err)}`))
      .finally(() => (running = null));
    return running;
  };
  void tick();
  const timer = setInterval(() => void tick(), options.intervalMs ?? 3600_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
