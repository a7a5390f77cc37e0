import { DatabaseUnavailableError, isDatabaseUnavailableError } from "../db/availability";

/**
 * Rollup writes of one environment take turns in this process, at most LANE_WIDTH at a time.
 *
 * Every batch upserts the same hot rows (a flag's rollups of the current minutes), so concurrent
 * batches serialise on PostgreSQL's row locks anyway. Left to the database, the eighth of eight
 * simultaneous batches waits for seven others inside its statement, and on a loaded machine that wait
 * passes the statement bound (lib/db/bounded-pool.ts): a 503 for a batch that only had to queue, and a
 * pool connection held idle meanwhile. Queued here, a batch holds no connection and no statement runs
 * longer than its own work plus one neighbour's. Two at a time, so one batch's parsing-free database
 * work overlaps the other's.
 *
 * A wait is bounded too: a lane that has not moved for MAX_WAIT_MS answers 503 with Retry-After (the
 * database is alive but saturated), and when a write fails because the database is unavailable, every
 * batch queued behind it gets the same answer at once instead of each finding out by its own timeout.
 */
export const LANE_WIDTH = 2;
export const MAX_WAIT_MS = 10_000;
export const MAX_QUEUED = 256;

interface Waiter {
  start: () => void;
  fail: (err: unknown) => void;
  timer: NodeJS.Timeout;
}

interface Lane {
  running: number;
  queue: Waiter[];
}

const lanes = new Map<string, Lane>();

export async function inRollupLane<T>(environment: string, write: () => Promise<T>): Promise<T> {
  let lane = lanes.get(environment);
  if (!lane) lanes.set(environment, (lane = { running: 0, queue: [] }));
  if (lane.running >= LANE_WIDTH) await waitForTurn(lane);
  else lane.running++;
  try {
    return await write();
  } catch (err) {
    if (isDatabaseUnavailableError(err)) failQueued(lane, err);
    throw err;
  } finally {
    handOn(environment, lane);
  }
}

function waitForTurn(lane: Lane): Promise<void> {
  if (lane.queue.length >= MAX_QUEUED) {
    return Promise.reject(new DatabaseUnavailableError(new Error(`${MAX_QUEUED} rollup writes already queued`)));
  }
  return new Promise<void>((resolve, reject) => {
    const waiter: Waiter = {
      start: () => {
        clearTimeout(waiter.timer);
        resolve();
      },
      fail: (err) => {
        clearTimeout(waiter.timer);
        reject(err);
      },
      timer: setTimeout(() => {
        lane.queue.splice(lane.queue.indexOf(waiter), 1);
        reject(new DatabaseUnavailableError(new Error(`rollup write queued for more than ${MAX_WAIT_MS} ms`)));
      }, MAX_WAIT_MS),
    };
    lane.queue.push(waiter);
  });
}

/** The finished write's slot goes straight to the next in line (running stays the same), or is freed. */
function handOn(environment: string, lane: Lane): void {
  const next = lane.queue.shift();
  if (next) return next.start();
  lane.running--;
  if (lane.running === 0) lanes.delete(environment);
}

function failQueued(lane: Lane, err: unknown): void {
  const error = err instanceof DatabaseUnavailableError ? err : new DatabaseUnavailableError(err);
  for (const waiter of lane.queue.splice(0)) waiter.fail(error);
}

/** Batches queued or running per environment, for tests and diagnostics. */
export function rollupLaneDepth(environment: string): { running: number; queued: number } {
  const lane = lanes.get(environment);
  return { running: lane?.running ?? 0, queued: lane?.queue.length ?? 0 };
}
