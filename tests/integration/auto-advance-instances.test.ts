import { describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "../../lib/rollouts/auto-advance";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS } from "../support/http";
import { eventually } from "../support/eventually";

// Acceptance: two real server processes on one database, each running the worker every 200 ms.
const INTERVAL = 200;
const {
  t,
  apps: [a, b],
} = setUpTestApp({ bootstrapTokens: BOOTSTRAP, env: { ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: String(INTERVAL) }, instances: 2 });
const eng = ROLE_TOKENS.engineer;
const po = ROLE_TOKENS.product_owner;

let seq = 0;
async function startedRollout(phases: Record<string, unknown>[], autoAdvance = true) {
  const key = `multi-auto-${++seq}`;
  expect((await call(a.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
  const created = await call(a.url, "POST", "/api/v1/rollouts", {
    token: eng,
    body: { flagKey: key, environment: "production", phases, autoAdvance },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  // A person starts it (draft → phase 0); only then may the worker take over.
  const started = await call(b.url, "POST", `/api/v1/rollouts/${id}/advance`, { token: eng, body: { version: 1 } });
  expect(started.status).toBe(200);
  return { key, id, startedAt: new Date(started.body.phaseStartedAt as string) };
}

const get = async (app: { url: string }, id: string) => (await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rolloutEntries(id: string) {
  const r = await t.sql(
    `SELECT action, actor, actor_id, after FROM audit_log WHERE target_type = 'rollout' AND target_id LIKE $1 ORDER BY id`,
    [`%/${id}`],
  );
  return r.rows as { action: string; actor: string; actor_id: string | null; after: Record<string, unknown> }[];
}

/** Lines the workers printed for this rollout, from both processes. */
const workerLines = (id: string) =>
  [a, b].flatMap((app) =>
    app
      .output()
      .split("\n")
      .filter((l) => l.includes("auto-advance") && l.includes(id)),
  );

describe("automatic progression with two app instances", () => {
  it("moves exactly once when the soak turns green, and not past a phase whose own gates are red", async () => {
    const { key, id, startedAt } = await startedRollout([
      { name: "10 %", percent: 10, minSoakSeconds: 2 },
      { name: "50 %", percent: 50, minSoakSeconds: 3600 },
      { name: "100 %", percent: 100 },
    ]);
    // Both instances run the worker (each keeps its lock connection open).
    const lockConnections = await t.sql(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'rollgate auto-advance'`,
    );
    expect(lockConnections.rows[0].n).toBe(2);
    await eventually(async () => (await get(a, id)).currentPhase === 1, 10_000, "the worker advances to phase 1");

    // Give both instances many more passes to do something wrong.
    await sleep(10 * INTERVAL);
    const view = await get(b, id);
    expect(view).toMatchObject({ status: "active", currentPhase: 1, version: 3 });
    // Not before phase 0 had soaked for its 2 s (phaseStartedAt is the worker's clock when it moved).
    expect(new Date(view.phaseStartedAt).getTime() - startedAt.getTime()).toBeGreaterThanOrEqual(2000);
    const flag = await call(b.url, "GET", `/api/v1/flags/${key}`, { token: eng });
    expect(flag.body.environments.production).toMatchObject({ enabled: true, rolloutPercent: 50 });

    const entries = await rolloutEntries(id);
    expect(entries.map((e) => [e.action, e.actor])).toEqual([
      ["rollout.create", "engineer-bot (token)"],
      ["rollout.advance", "engineer-bot (token)"],
      ["rollout.advance", SYSTEM_ACTOR.label],
    ]);
    const step = entries[2]!;
    expect(step.actor_id).toBeNull();
    expect(step.after).toMatchObject({ status: "active", currentPhase: 1, flag: { enabled: true, rolloutPercent: 50 } });
    const gates = step.after.gates as { name: string; ok: boolean; reason: string }[];
    expect(gates.map((g) => [g.name, g.ok])).toEqual([
      ["soak", true],
      ["approvals", true],
      ["incidents", true],
    ]);
    expect(view.gates.find((g: { name: string }) => g.name === "soak")).toMatchObject({ ok: false });
    // One instance logged the step; neither logged a second one.
    expect(workerLines(id).filter((l) => l.includes("moved to phase"))).toHaveLength(1);
  });

  it("waits for a required approval, then moves once a product owner signs", async () => {
    const { key, id } = await startedRollout([
      { name: "10 %", percent: 10 },
      { name: "50 %", percent: 50, requiredApprovals: 1, minSoakSeconds: 3600 },
      { name: "100 %", percent: 100 },
    ]);
    await sleep(10 * INTERVAL);
    const waiting = await get(a, id);
    expect(waiting).toMatchObject({ currentPhase: 0, version: 2 });
    expect(waiting.gates.find((g: { name: string }) => g.name === "approvals")).toMatchObject({
      ok: false,
      reason: "needs 1 approval, has 0",
    });

    const signed = await call(b.url, "POST", `/api/v1/rollouts/${id}/phases/1/approvals`, {
      token: po,
      body: { decision: "approved", riskLevel: "low", reviewed: ["change"], signature: "product_owner-bot" },
    });
    expect(signed.status).toBe(201);
    await eventually(async () => (await get(a, id)).currentPhase === 1, 5000, "the worker advances after the approval");
    await sleep(10 * INTERVAL);
    expect(await get(b, id)).toMatchObject({ status: "active", currentPhase: 1, version: 3 });
    const flag = await call(a.url, "GET", `/api/v1/flags/${key}`, { token: eng });
    expect(flag.body.environments.production.rolloutPercent).toBe(50);
    const system = (await rolloutEntries(id)).filter((e) => e.actor === SYSTEM_ACTOR.label);
    expect(system).toHaveLength(1);
    expect((system[0]!.after.gates as { name: string; reason: string }[]).find((g) => g.name === "approvals")?.reason).toBe(
      "needs 1 approval, has 1 (product_owner-bot)",
    );
  });

  it("leaves paused rollouts and rollouts without autoAdvance where they are", async () => {
    const phases = [
      { name: "10 %", percent: 10 },
      { name: "50 %", percent: 50 },
    ];
    const manual = await startedRollout(phases, false);
    const paused = await startedRollout([{ name: "5 %", percent: 5, minSoakSeconds: 1 }, ...phases]);
    expect((await call(a.url, "POST", `/api/v1/rollouts/${paused.id}/pause`, { token: eng, body: { version: 2 } })).status).toBe(200);
    await sleep(1000 + 10 * INTERVAL);
    expect(await get(a, manual.id)).toMatchObject({ status: "active", currentPhase: 0, version: 2 });
    expect(await get(a, paused.id)).toMatchObject({ status: "paused", currentPhase: 0, version: 3 });
    for (const r of [manual, paused]) {
      expect((await rolloutEntries(r.id)).filter((e) => e.actor === SYSTEM_ACTOR.label)).toEqual([]);
    }
    // Resumed, the paused one moves on by itself.
    expect((await call(b.url, "POST", `/api/v1/rollouts/${paused.id}/resume`, { token: eng, body: { version: 3 } })).status).toBe(200);
    await eventually(async () => (await get(a, paused.id)).currentPhase >= 1, 5000, "the resumed rollout advances");
  });

  it("stops with the server: both instances shut down cleanly with their workers", async () => {
    expect(await Promise.all([a.stop(), b.stop()])).toEqual([0, 0]);
    for (const app of [a, b]) expect(app.output()).not.toMatch(/shutdown step failed|auto-advance: pass failed/);
  });
});
