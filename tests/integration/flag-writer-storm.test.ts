// Issue #22: writers of one flag's state and its live rollout, fired at the same moment, must queue
// behind each other instead of deadlocking. Real server process, real HTTP, real PostgreSQL: each round
// reads what the callers would have read, then sends the racing requests together (Promise.all).
// A deadlock shows as a 500 (and "deadlock" in the server's output) for the writer PostgreSQL aborts,
// and, for the other, an answer only after PostgreSQL's deadlock_timeout (the issue saw kills take
// 1.05 s with the default 1 s).
import { describe, expect, it, type TestContext } from "vitest";
import { AppError } from "../../lib/errors";
import { sqlStateOf } from "../../lib/db/db-errors";
import { actOnBreach } from "../../lib/guardrails/guardrail-worker";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, quickPhases, ROLE_TOKENS, startLiveRollout, type HttpResult } from "../support/http";

const eng = ROLE_TOKENS.engineer;
const oncall = ROLE_TOKENS.oncall;
const ROUNDS = 50;
/**
 * The storms that need a new flag and rollout every round: 24 rounds, an even share of each action
 * (advance/roll back; pause/roll back/kill). Before the single lock order they deadlocked in 50 of
 * 50 and 17 of 50 rounds, so 24 rounds still catch a regression (a miss has odds of about 1 in
 * 20,000); the kill/override storm keeps the 50 rounds issue 22 asks for.
 */
const FRESH_ROUNDS = 24;
/**
 * deadlock_timeout of this test's database: a writer in a lock cycle waits this long before PostgreSQL
 * looks and aborts one side, which the server logs ("deadlock detected"). Raised from the default 1 s so
 * that a busy machine's slow lock holder is not mistaken for a cycle: PostgreSQL only looks after this wait.
 */
const DEADLOCK_TIMEOUT_MS = 5000;
/**
 * A wall-clock bound, about the machine rather than locks. A kill caught in a lock cycle cannot pass
 * quietly whatever its time: PostgreSQL aborts one side after DEADLOCK_TIMEOUT_MS and names it in the
 * server's output (counted above), and a kill queued behind something that never finishes is cancelled
 * by the test server's statement_timeout (10 s) and answers 503 (the 5xx check). Queueing behind one
 * writer takes milliseconds (the whole 50-round storm runs in 7.5 s on an idle machine), but in CI,
 * beside the browser tests on two cores, one kill took 4.4 s (median 865 ms): CPU, not locks.
 */
const KILL_BOUND_MS = 15_000;
/** Rounds take well under a second each, but the storm must also finish (and report) where it deadlocks. */
const STORM_TIMEOUT_MS = 600_000;

const { t, app } = setUpTestApp({
  bootstrapTokens: BOOTSTRAP,
  // The background workers stay out of the way: the test fires the guardrail action itself.
  env: { ROLLGATE_GUARDRAIL_INTERVAL_MS: "60000", ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: "3600000" },
  // Every session opened from here on (the server's, and t.db's for the guardrail) gets it.
  beforeStart: (db) => db.sql(`ALTER DATABASE ${db.name} SET deadlock_timeout = '${DEADLOCK_TIMEOUT_MS}ms'`),
});

interface Answer extends HttpResult {
  what: string;
  ms: number;
}

async function timed(what: string, send: () => Promise<HttpResult>): Promise<Answer> {
  const start = performance.now();
  const res = await send();
  return { ...res, what, ms: performance.now() - start };
}

/** What went wrong in a storm, collected so one run reports every round instead of stopping at the first. */
class Tally {
  readonly problems: string[] = [];
  readonly killMs: number[] = [];
  serverErrors = 0;
  /** How each side fared ("override 409 VERSION_CONFLICT" → rounds): shows both orders really occur. */
  readonly outcomes = new Map<string, number>();
  private readonly outputFrom = app.output().length;

  /** `allowed`: the statuses that answer is allowed to have; a 409/422 must also name its code. */
  check(round: number, a: Answer, allowed: Record<number, readonly string[] | null>) {
    if (a.status >= 500) this.serverErrors++;
    const codes = allowed[a.status];
    const code = (a.body as { error?: { code?: string } } | null)?.error?.code;
    if (codes === undefined) this.problems.push(`round ${round}: ${a.what} answered ${a.status} ${JSON.stringify(a.body)}`);
    else if (codes && !codes.includes(code ?? "")) this.problems.push(`round ${round}: ${a.what} answered ${a.status} with code ${code}`);
    // Optimistic locking answers with what the loser must reconcile with.
    if (code === "VERSION_CONFLICT" && !(a.body as { current?: unknown }).current)
      this.problems.push(`round ${round}: ${a.what} answered VERSION_CONFLICT without the current state`);
    if (a.what === "kill") this.killMs.push(a.ms);
    const outcome = `${a.what} ${a.status}${code ? ` ${code}` : ""}`;
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  /** PostgreSQL's own words, or Prisma's for the same error (P2034 "… a write conflict or a deadlock"). */
  deadlocksInServerOutput(): number {
    const output = app.output().slice(this.outputFrom);
    return output.match(/deadlock detected|or a deadlock/gi)?.length ?? 0;
  }

  /** The figures of the run: the before/after numbers of issue 22, and how each side fared. */
  summary(name: string): string {
    const sorted = [...this.killMs].sort((x, y) => x - y);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    return (
      `${name}: ${this.deadlocksInServerOutput()} deadlock(s) in the server output, ${this.serverErrors} 5xx, ` +
      `kill latency median ${median.toFixed(0)} ms, max ${this.maxKillMs().toFixed(0)} ms, ${this.problems.length} problem(s); ` +
      [...this.outcomes].map(([o, n]) => `${o}: ${n}`).join(", ")
    );
  }

  maxKillMs(): number {
    return Math.max(0, ...this.killMs);
  }

  async assertClean(name: string, annotate: TestContext["annotate"]) {
    const summary = this.summary(name);
    await annotate(summary); // a figure for the record
    expect(this.deadlocksInServerOutput(), summary).toBe(0);
    expect(this.serverErrors, summary).toBe(0);
    expect(this.problems, summary).toEqual([]);
    expect(this.killMs.length).toBeGreaterThan(0);
    expect(this.maxKillMs(), summary).toBeLessThan(KILL_BOUND_MS);
  }
}

let seq = 0;
/** A new flag with a started rollout in production (phase "10 %" of three, no gates that could hold it). */
const liveRollout = () => startLiveRollout(app.url, eng, `storm-${process.pid}-${++seq}`, quickPhases(10, 50, 100));

const stateVersion = async (key: string): Promise<number> =>
  (await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng })).body.environments.production.version as number;
const rollout = async (id: string) => (await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body;
const kill = (key: string, round: number) =>
  timed("kill", () =>
    call(app.url, "POST", `/api/v1/flags/${key}/environments/production/kill`, { token: oncall, body: { reason: `storm ${round}` } }),
  );
const override = (key: string, version: number, round: number) =>
  timed("override", () =>
    call(app.url, "PATCH", `/api/v1/flags/${key}/environments/production`, {
      token: eng,
      body: { version, rolloutPercent: 20 + (round % 70), override: { reason: `hand edit ${round}` } },
    }),
  );
const killedIn = async (key: string) =>
  (
    await t.sql(
      `SELECT fs.killed FROM flag_states fs JOIN flags f ON f.id = fs.flag_id WHERE f.key = $1 AND fs.environment_key = 'production'`,
      [key],
    )
  ).rows[0].killed as boolean;

// A kill always goes through. The writer racing it goes through, or, when the other one changed what
// it had read first, gets 409 VERSION_CONFLICT (with the current state): the kill and an override
// both bump the rollout's version when they pause it, and the flag state's version when they write it.
const KILL_OK = { 200: null } as const;
const LOSER_OK = { 200: null, 409: ["VERSION_CONFLICT"] } as const;

describe("kill switch and other writers of one flag, fired together", () => {
  it(
    `kill vs hand-edit override during a live rollout, ${ROUNDS} rounds: no deadlock, no 5xx, the kill never stuck`,
    async ({ annotate }) => {
      const tally = new Tally();
      const { key, id } = await liveRollout();
      for (let round = 1; round <= ROUNDS; round++) {
        const version = await stateVersion(key);
        const [k, o] = await Promise.all([kill(key, round), override(key, version, round)]);
        tally.check(round, k, KILL_OK);
        tally.check(round, o, LOSER_OK);
        if (k.status === 200 && !k.body.killed) tally.problems.push(`round ${round}: the kill answered 200 but not killed`);
        // Whoever came first, the flag ends killed and the rollout paused (by the kill or by the override).
        if (!(await killedIn(key))) tally.problems.push(`round ${round}: the flag is not killed`);
        const r = await rollout(id);
        if (r.status !== "paused") tally.problems.push(`round ${round}: the rollout is ${r.status}, not paused`);

        // Next round: the flag restored, the rollout live again.
        expect(
          (await call(app.url, "POST", `/api/v1/flags/${key}/environments/production/restore`, { token: oncall, body: { reason: "next" } }))
            .status,
        ).toBe(200);
        if (r.status === "paused") {
          expect((await call(app.url, "POST", `/api/v1/rollouts/${id}/resume`, { token: eng, body: { version: r.version } })).status).toBe(
            200,
          );
        }
      }
      await tally.assertClean("kill vs override", annotate);
    },
    STORM_TIMEOUT_MS,
  );

  it(
    `kill vs advance and kill vs roll back, ${FRESH_ROUNDS} rounds: no deadlock, no 5xx, the kill never stuck`,
    async ({ annotate }) => {
      const tally = new Tally();
      for (let round = 1; round <= FRESH_ROUNDS; round++) {
        const { key, id } = await liveRollout();
        const version = (await rollout(id)).version as number;
        const action = round % 2 ? "advance" : "rollback";
        const [k, other] = await Promise.all([
          kill(key, round),
          timed(action, () =>
            call(app.url, "POST", `/api/v1/rollouts/${id}/${action}`, { token: eng, body: { version, reason: `storm ${round}` } }),
          ),
        ]);
        tally.check(round, k, KILL_OK);
        tally.check(round, other, LOSER_OK);
        if (!(await killedIn(key))) tally.problems.push(`round ${round}: the flag is not killed`);
        // The kill leaves no rollout running: paused by it, or already rolled back.
        const r = await rollout(id);
        if (r.status !== "paused" && r.status !== "rolled_back") tally.problems.push(`round ${round}: the rollout is ${r.status}`);
      }
      await tally.assertClean("kill vs advance/rollback", annotate);
    },
    STORM_TIMEOUT_MS,
  );

  it(
    `guardrail action (pause, roll back, kill) vs hand-edit override, ${FRESH_ROUNDS} rounds: no deadlock, no 5xx`,
    async ({ annotate }) => {
      const tally = new Tally();
      const actions = ["pause", "rollback", "kill"] as const;
      for (let round = 1; round <= FRESH_ROUNDS; round++) {
        const { key, id } = await liveRollout();
        const version = await stateVersion(key);
        const action = actions[round % actions.length]!;
        // The guardrail acts from the test process, as the worker does: its own transaction, no HTTP.
        const guardrail = timed(action === "kill" ? "kill" : `guardrail ${action}`, async () => {
          try {
            await actOnBreach(t.db, action, { flagKey: key, environment: "production" }, "guardrail: storm", { storm: round }, new Date());
            return { status: 200, body: null };
          } catch (err) {
            if (err instanceof AppError)
              return {
                status: err.code === "UNPROCESSABLE" ? 422 : 409,
                body: { error: { code: err.code }, current: err.details.current },
              };
            return { status: 500, body: { error: { code: sqlStateOf(err) ?? "?", message: String(err) } } };
          }
        });
        const [g, o] = await Promise.all([guardrail, override(key, version, round)]);
        tally.check(round, g, action === "kill" ? KILL_OK : LOSER_OK);
        tally.check(round, o, LOSER_OK);
        const r = await rollout(id);
        if (r.status === "active") tally.problems.push(`round ${round}: the rollout is still active after ${action} and an override`);
      }
      await tally.assertClean("guardrail action vs override", annotate);
    },
    STORM_TIMEOUT_MS,
  );
});
