import pg from "pg";
import type { Db } from "../db/client";
import { createBoundedClient, INTERACTIVE_LIMITS } from "../db/bounded-pool";
import { logFailure } from "../db/outage-log";
import { AppError } from "../errors";
import { allGreen } from "../domain/rollout";
import { applyTransition, type RolloutActor } from "./transition-rollout";
import { rolloutInclude, rolloutViews } from "./rollout-view";

/** Who the audit log names for a step taken by the worker (no user id). */
export const SYSTEM_ACTOR: RolloutActor = { id: null, label: "system (automatic progression)", roles: [] };

/** The advisory-lock key of this worker (the start-up lock is 7346010000, the audit chain its own). */
export const AUTO_ADVANCE_LOCK = 7346010011;

export const DEFAULT_AUTO_ADVANCE_INTERVAL_MS = 15_000;

const PASS_FAILED = { one: "automatic-progression pass failed", many: "automatic-progression passes failed" };

export interface AutoAdvanceOptions {
  intervalMs?: number;
  log?: (message: string) => void;
  now?: () => Date;
  /**
   * false: skip the advisory lock, so several workers really do race (tests). Exactly-once still
   * holds, because applyTransition checks the version under a row lock; the advisory lock only
   * spares the losers their wasted reads and refused transactions.
   */
  useLock?: boolean;
  /** false: no timer; only explicit tick() calls (tests). */
  autoStart?: boolean;
}

export interface AutoAdvanceWorker {
  /** One pass: advances every eligible rollout whose gates are all green; resolves with how many moved. */
  tick(): Promise<number>;
  /** Stops the timer, waits for a running pass and closes the lock connection. */
  stop(): Promise<void>;
}

/**
 * Automatic progression (opt-in per rollout with `autoAdvance`). Every `intervalMs`, the instance
 * that wins a transaction-level advisory lock looks at the active rollouts with automatic
 * progression and advances each one whose gates for the next phase are all green, as the system
 * actor, with the version it just read. Approvals, checklist, schedule (`notBefore`), soak, success
 * criteria and incidents are all gates, so each of them holds it back; a draft is started by a
 * person and a paused rollout never moves. Advancing from the last phase completes the rollout once
 * that phase's soak and criteria are green.
 *
 * The lock is taken on a connection of its own to `databaseUrl` (the direct URL: a transaction
 * pooler would also do, since the lock lives only as long as one transaction). If the connection or
 * the process dies, PostgreSQL releases the lock and another instance takes over on its next tick.
 */
export function startAutoAdvance(db: Db, databaseUrl: string, options: AutoAdvanceOptions = {}): AutoAdvanceWorker {
  const intervalMs = options.intervalMs ?? DEFAULT_AUTO_ADVANCE_INTERVAL_MS;
  const log = options.log ?? (() => {});
  const now = options.now ?? (() => new Date());
  const useLock = options.useLock ?? true;
  let client: pg.Client | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  // Passes of one worker never overlap: each waits for the one before.
  let queue: Promise<unknown> = Promise.resolve();

  async function lockConnection(): Promise<pg.Client> {
    if (client) return client;
    const fresh = createBoundedClient(
      { connectionString: databaseUrl, application_name: "rollgate auto-advance" },
      { limits: INTERACTIVE_LIMITS },
    );
    // A broken connection is dropped and replaced on the next pass; its lock died with it.
    fresh.on("error", (err) => {
      log(`auto-advance: lock connection lost (${err.message})`);
      if (client === fresh) client = null;
      void fresh.end().catch(() => {});
    });
    await fresh.connect();
    // A pass that hangs (or a half-open connection) must not keep the other instances out forever.
    await fresh.query("SET idle_in_transaction_session_timeout = '60s'");
    client = fresh;
    return fresh;
  }

  async function advanceEligible(): Promise<number> {
    const candidates = await db.rollout.findMany({
      where: { autoAdvance: true, status: "active" },
      include: rolloutInclude,
      orderBy: { createdAt: "asc" },
    });
    // Every candidate's gates in one read (a handful of queries for all of them); the advance below
    // judges them again under the rollout's lock, so one that turned red meanwhile stays put.
    const views = await rolloutViews(db, candidates, now());
    let moved = 0;
    for (const view of views) {
      if (stopped) break;
      const id = view.id;
      try {
        // A conditional approval's conditions are for a person to acknowledge: never advanced by itself.
        if (!allGreen(view.gates) || view.gates.some((g) => g.name === "conditions")) continue;
        const after = await applyTransition(db, SYSTEM_ACTOR, id, "advance", { version: view.version }, now());
        moved++;
        log(
          after.status === "completed"
            ? `auto-advance: completed ${view.flagKey}/${view.environment} (rollout ${id})`
            : `auto-advance: ${view.flagKey}/${view.environment} moved to phase ${after.currentPhase} "${after.phases[after.currentPhase]?.name}" (rollout ${id})`,
        );
      } catch (err) {
        // Someone (a person, another instance) changed it since we read it, or a gate turned red in
        // between: the row lock and version check decided, nothing to do until the next pass.
        if (err instanceof AppError && ["VERSION_CONFLICT", "UNPROCESSABLE", "CONFLICT", "NOT_FOUND"].includes(err.code)) {
          log(`auto-advance: rollout ${id} not advanced (${err.code}: ${err.message})`);
          continue;
        }
        logFailure(log, PASS_FAILED, err, `auto-advance: rollout ${id} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return moved;
  }

  async function pass(): Promise<number> {
    if (stopped) return 0;
    if (!useLock) return advanceEligible();
    const conn = await lockConnection();
    try {
      await conn.query("BEGIN");
    } catch (err) {
      if (client === conn) client = null;
      await conn.end().catch(() => {});
      throw err;
    }
    let committed = false;
    try {
      const { rows } = await conn.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS locked", [AUTO_ADVANCE_LOCK]);
      if (!rows[0]?.locked) return 0; // another instance is on it
      const moved = await advanceEligible();
      await conn.query("COMMIT");
      committed = true;
      return moved;
    } finally {
      // ROLLBACK releases the lock too; if even that fails the connection is useless: replace it.
      if (!committed) {
        await conn.query("ROLLBACK").catch(async () => {
          if (client === conn) client = null;
          await conn.end().catch(() => {});
        });
      }
    }
  }

  function tick(): Promise<number> {
    const run = queue.then(pass);
    queue = run.catch(() => {});
    return run;
  }

  function schedule() {
    if (stopped || options.autoStart === false) return;
    timer = setTimeout(() => {
      tick()
        .catch((err: unknown) =>
          logFailure(log, PASS_FAILED, err, `auto-advance: pass failed: ${err instanceof Error ? err.message : String(err)}`),
        )
        .finally(schedule);
    }, intervalMs);
    timer.unref();
  }
  schedule();

  return {
    tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await queue;
      await client?.end().catch(() => {});
      client = null;
    },
  };
}
