import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { AUTO_ADVANCE_LOCK, startAutoAdvance, SYSTEM_ACTOR, type AutoAdvanceWorker } from "../../lib/rollouts/auto-advance";
import { BOOTSTRAP, call, ROLE_TOKENS } from "../support/http";
import { eventually } from "../support/eventually";

// The workers under test run in this process and are driven by tick(); the server (for creating and
// starting rollouts through the API) has its own worker, kept out of the way by a one-hour interval.
const eng = ROLE_TOKENS.engineer;
const po = ROLE_TOKENS.product_owner;
const workers: AutoAdvanceWorker[] = [];

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP, env: { ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: "3600000" } });
// Every pass looks at every rollout in the database: each test sees only its own.
afterEach(async () => {
  await t.sql("UPDATE rollouts SET auto_advance = false");
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
});

/** A worker on the test database that only moves when told to, seeing the clock `at()` returns. */
function worker(at: () => Date, options: { useLock?: boolean } = {}) {
  const lines: string[] = [];
  const w = startAutoAdvance(t.db, t.url, { autoStart: false, now: at, log: (m) => lines.push(m), ...options });
  workers.push(w);
  return { ...w, lines };
}

const HOUR = 3_600_000;
const later = (ms: number) => () => new Date(Date.now() + ms);

let seq = 0;
/** A rollout on a new flag, started (phase 0) by the engineer unless `start: false`. */
async function rollout(phases: Record<string, unknown>[], options: { autoAdvance?: boolean; start?: boolean } = {}) {
  const key = `auto-${process.pid}-${++seq}`;
  expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
  const created = await call(app.url, "POST", "/api/v1/rollouts", {
    token: eng,
    body: { flagKey: key, environment: "production", phases, autoAdvance: options.autoAdvance ?? true },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  if (options.start !== false) {
    const started = await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, { token: eng, body: { version: 1 } });
    expect(started.status).toBe(200);
  }
  return { key, id };
}

const get = async (id: string) => (await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body;

async function systemEntries(id: string) {
  const r = await t.sql(`SELECT action, actor, actor_id, after FROM audit_log WHERE target_id LIKE $1 AND actor = $2 ORDER BY id`, [
    `%/${id}`,
    SYSTEM_ACTOR.label,
  ]);
  return r.rows as { action: string; actor: string; actor_id: string | null; after: Record<string, unknown> }[];
}

const twoSteps = [
  { name: "10 %", percent: 10, minSoakSeconds: 60 },
  { name: "50 %", percent: 50, minSoakSeconds: 3600 },
  { name: "100 %", percent: 100, minSoakSeconds: 3600 },
];

describe("automatic progression worker", () => {
  it("advances once when the gates are green, as the system actor with the gate snapshot, and not again while the next gates are red", async () => {
    const { key, id } = await rollout(twoSteps);
    const w = worker(later(0));
    expect(await w.tick()).toBe(0); // soak 0 s of 1 min
    expect((await get(id)).currentPhase).toBe(0);

    const soon = worker(later(2 * 60_000));
    expect(await soon.tick()).toBe(1);
    const after = await get(id);
    expect(after).toMatchObject({ status: "active", currentPhase: 1, version: 3 });
    const flag = await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng });
    expect(flag.body.environments.production).toMatchObject({ enabled: true, rolloutPercent: 50 });
    expect(soon.lines.join("\n")).toMatch(/moved to phase 1 "50 %"/);

    // Phase 1 soaks for an hour: nothing more, however often it looks.
    for (let i = 0; i < 3; i++) expect(await soon.tick()).toBe(0);
    const entries = await systemEntries(id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: "rollout.advance", actor_id: null, after: { currentPhase: 1, status: "active" } });
    const gates = entries[0]!.after.gates as { name: string; ok: boolean; reason: string }[];
    expect(gates.every((g) => g.ok)).toBe(true);
    expect(gates.find((g) => g.name === "soak")?.reason).toMatch(/^soak: 2 min of 1 min$/);
  });

  it("completes the rollout from the last phase once its soak is green, leaving the flag as the last phase set it", async () => {
    const { key, id } = await rollout([{ name: "100 %", percent: 100, minSoakSeconds: 60 }]);
    const w = worker(later(2 * 60_000));
    expect(await w.tick()).toBe(1);
    expect(await get(id)).toMatchObject({ status: "completed", currentPhase: 0 });
    const flag = await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng });
    expect(flag.body.environments.production).toMatchObject({ enabled: true, rolloutPercent: 100 });
    expect((await systemEntries(id)).map((e) => e.action)).toEqual(["rollout.complete"]);
    expect(await w.tick()).toBe(0);
  });

  it("never moves a draft, a paused rollout, one without autoAdvance, or one whose next step is scheduled later", async () => {
    const draft = await rollout(twoSteps, { start: false });
    const manual = await rollout(twoSteps, { autoAdvance: false });
    const paused = await rollout(twoSteps);
    expect((await call(app.url, "POST", `/api/v1/rollouts/${paused.id}/pause`, { token: eng, body: { version: 2 } })).status).toBe(200);
    const inTwoDays = new Date(Date.now() + 48 * HOUR).toISOString();
    const scheduled = await rollout([
      { name: "10 %", percent: 10, minSoakSeconds: 60 },
      { name: "50 %", percent: 50, notBefore: inTwoDays },
    ]);

    const w = worker(later(24 * HOUR)); // every soak long over, the schedule not yet reached
    expect(await w.tick()).toBe(0);
    expect(await get(draft.id)).toMatchObject({ status: "draft", currentPhase: -1, version: 1 });
    expect(await get(manual.id)).toMatchObject({ status: "active", currentPhase: 0, version: 2 });
    expect(await get(paused.id)).toMatchObject({ status: "paused", currentPhase: 0, version: 3 });
    const held = await get(scheduled.id);
    expect(held).toMatchObject({ status: "active", currentPhase: 0, version: 2 });
    expect(held.gates.find((g: { name: string }) => g.name === "schedule")).toMatchObject({ ok: false });

    // Once the time comes, the scheduled one moves; the others still do not.
    const afterSchedule = worker(later(49 * HOUR));
    expect(await afterSchedule.tick()).toBe(1);
    expect(await get(scheduled.id)).toMatchObject({ currentPhase: 1 });
    for (const r of [draft, manual, paused]) expect(await systemEntries(r.id)).toEqual([]);
  });

  it("waits for a required approval, then moves once a product owner signs", async () => {
    const { id } = await rollout([
      { name: "10 %", percent: 10 },
      { name: "50 %", percent: 50, requiredApprovals: 1 },
      { name: "100 %", percent: 100, minSoakSeconds: 3600 },
    ]);
    const w = worker(later(0));
    expect(await w.tick()).toBe(0);
    expect(await get(id)).toMatchObject({ currentPhase: 0, version: 2 });

    const signed = await call(app.url, "POST", `/api/v1/rollouts/${id}/phases/1/approvals`, {
      token: po,
      body: { decision: "approved", riskLevel: "low", reviewed: ["change"], signature: "product_owner-bot" },
    });
    expect(signed.status).toBe(201);
    expect(await w.tick()).toBe(1);
    const moved = await get(id);
    expect(moved).toMatchObject({ currentPhase: 1 });
    const entries = await systemEntries(id);
    expect(entries).toHaveLength(1);
    const gates = entries[0]!.after.gates as { name: string; ok: boolean; reason: string }[];
    expect(gates.find((g) => g.name === "approvals")).toEqual({
      name: "approvals",
      ok: true,
      reason: "needs 1 approval, has 1 (product_owner-bot)",
    });
  });

  it("leaves a rollout alone once autoAdvance is switched off", async () => {
    const { id } = await rollout(twoSteps);
    const off = await call(app.url, "PATCH", `/api/v1/rollouts/${id}`, { token: eng, body: { version: 2, autoAdvance: false } });
    expect(off.status).toBe(200);
    const w = worker(later(2 * 60_000));
    expect(await w.tick()).toBe(0);
    expect(await get(id)).toMatchObject({ currentPhase: 0, version: 3, autoAdvance: false });
    expect(await systemEntries(id)).toEqual([]);
  });
});

describe("two workers on one database", () => {
  /**
   * Holds the rollout's row lock from outside, so every worker that gets as far as applyTransition
   * has read the same version and then waits on the row; releasing it lets them all race for real.
   */
  async function withRowHeld<T>(id: string, waiters: number, start: () => Promise<T>): Promise<T> {
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT 1 FROM rollouts WHERE id = $1 FOR UPDATE", [id]);
      const result = start();
      await eventually(
        async () => {
          const r = await t.sql(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'`,
          );
          return r.rows[0].n >= waiters;
        },
        10_000,
        `${waiters} worker(s) waiting on the rollout row`,
      );
      await holder.query("COMMIT");
      return await result;
    } finally {
      await holder.end();
    }
  }

  it("without the advisory lock, five racing workers advance exactly once: the version check decides", async () => {
    const { id } = await rollout(twoSteps);
    const racers = Array.from({ length: 5 }, () => worker(later(2 * 60_000), { useLock: false }));
    const moved = await withRowHeld(id, 5, () => Promise.all(racers.map((r) => r.tick())));
    expect(moved.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await get(id)).toMatchObject({ currentPhase: 1, version: 3 });
    expect(await systemEntries(id)).toHaveLength(1);
    const conflicts = racers.flatMap((r) => r.lines).filter((l) => l.includes("VERSION_CONFLICT"));
    expect(conflicts).toHaveLength(4);
  });

  it("with the advisory lock, one worker acts per pass and the others skip without touching the rollout", async () => {
    const { id } = await rollout(twoSteps);
    const [a, b] = [worker(later(2 * 60_000)), worker(later(2 * 60_000))];
    const moved = await withRowHeld(id, 1, async () => {
      const first = a.tick();
      // a holds the advisory lock and waits on the row: b gives up at once.
      await new Promise((r) => setTimeout(r, 200));
      expect(await b.tick()).toBe(0);
      return [await first];
    });
    expect(moved).toEqual([1]);
    expect(b.lines).toEqual([]);
    expect(await systemEntries(id)).toHaveLength(1);

    // Concurrent passes, no row held: still exactly one step in total.
    const { id: id2 } = await rollout(twoSteps);
    const total = (await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()])).reduce((x, y) => x + y, 0);
    expect(total).toBe(1);
    expect(await systemEntries(id2)).toHaveLength(1);
  });

  it("does nothing while another session holds the lock, and resumes when it is released", async () => {
    const { id } = await rollout(twoSteps);
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock($1)", [AUTO_ADVANCE_LOCK]);
      const w = worker(later(2 * 60_000));
      expect(await w.tick()).toBe(0);
      expect(await get(id)).toMatchObject({ currentPhase: 0 });
      await holder.query("SELECT pg_advisory_unlock($1)", [AUTO_ADVANCE_LOCK]);
      expect(await w.tick()).toBe(1);
      expect(await get(id)).toMatchObject({ currentPhase: 1 });
    } finally {
      await holder.end();
    }
  });
});
