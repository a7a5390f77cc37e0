// Issue #17: a hand edit of a flag whose rollout is live must not silently contradict the plan.
// Real server process, real HTTP, real PostgreSQL.
import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, patchFlagState, quickPhases, ROLE_TOKENS, startLiveRollout } from "../support/http";

const eng = ROLE_TOKENS.engineer;

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

let seq = 0;
/** A flag with a rollout started in production (phase "10 %"), and the rollout. */
async function liveRollout(): Promise<{ key: string; rolloutId: string }> {
  const { key, id } = await startLiveRollout(app.url, eng, `me-${process.pid}-${++seq}`, quickPhases(10, 50));
  return { key, rolloutId: id };
}

const snapshot = async (key: string) =>
  (
    await t.sql(
      `SELECT fs.enabled, fs.rollout_percent, fs.version, (SELECT count(*) FROM audit_log)::int AS audit
       FROM flag_states fs JOIN flags f ON f.id = fs.flag_id WHERE f.key = $1 AND fs.environment_key = 'production'`,
      [key],
    )
  ).rows[0];

describe("manual changes during a live rollout", () => {
  it("refuses a plain edit with 409 naming the rollout, and changes nothing", async () => {
    const { key, rolloutId } = await liveRollout();
    const before = await snapshot(key);
    expect(before).toMatchObject({ enabled: true, rollout_percent: 10 });

    for (const change of [{ rolloutPercent: 25 }, { enabled: false }, { allowlist: ["someone"] }]) {
      const res = await patchFlagState(app.url, eng, key, "production", { ...change, reason: "a reason is not an override" });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe("CONFLICT");
      expect(res.body.error.message).toContain(`/rollouts/${rolloutId}`);
      expect(res.body.rollout).toMatchObject({ id: rolloutId, status: "active", phase: "10 %", phasePercent: 10 });
      expect(res.body.current).toMatchObject({ rolloutPercent: 10, version: before.version });
    }
    expect(await snapshot(key)).toEqual(before);
    const rollout = await call(app.url, "GET", `/api/v1/rollouts/${rolloutId}`, { token: eng });
    expect(rollout.body).toMatchObject({ status: "active", overrides: [] });

    // The other environment has no rollout: edits there go through as before.
    expect((await patchFlagState(app.url, eng, key, "staging", { rolloutPercent: 25 })).status).toBe(200);
  });

  it("applies an override with a reason atomically: state, audit entries, rollout paused with the override recorded", async () => {
    const { key, rolloutId } = await liveRollout();
    const before = await snapshot(key);
    const rolloutBefore = (await call(app.url, "GET", `/api/v1/rollouts/${rolloutId}`, { token: eng })).body;

    // An override without a usable reason is a 400 and changes nothing.
    const noReason = await patchFlagState(app.url, eng, key, "production", { rolloutPercent: 25, override: { reason: " " } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.fields).toHaveProperty("override.reason");
    expect(await snapshot(key)).toEqual(before);

    const res = await patchFlagState(app.url, eng, key, "production", {
      rolloutPercent: 25,
      override: { reason: "hotfix needs more traffic now" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ enabled: true, rolloutPercent: 25, version: before.version + 1 });

    const rollout = (await call(app.url, "GET", `/api/v1/rollouts/${rolloutId}`, { token: eng })).body;
    expect(rollout).toMatchObject({ status: "paused", currentPhase: 0, version: rolloutBefore.version + 1 });
    expect(rollout.overrides).toEqual([
      expect.objectContaining({
        kind: "manual_change",
        by: "engineer-bot (token)",
        reason: "hotfix needs more traffic now",
        before: { enabled: true, rolloutPercent: 10, allowlist: [] },
        after: { enabled: true, rolloutPercent: 25, allowlist: [] },
        paused: true,
      }),
    ]);

    const audit = await t.sql(
      "SELECT action, target_id, reason, after FROM audit_log WHERE id > (SELECT max(id) - 2 FROM audit_log) ORDER BY id",
    );
    expect(audit.rows).toEqual([
      expect.objectContaining({
        action: "flag_state.update",
        target_id: `${key}/production`,
        reason: "hotfix needs more traffic now",
        after: expect.objectContaining({ rolloutPercent: 25, override: { rolloutId, rolloutStatus: "active" } }),
      }),
      expect.objectContaining({
        action: "rollout.pause",
        target_id: `${key}/production/${rolloutId}`,
        reason: "hotfix needs more traffic now",
      }),
    ]);

    // Paused is still live: the next plain edit (turning it off) is refused too, an override goes through
    // and is recorded without pausing again.
    const off = await patchFlagState(app.url, eng, key, "production", { enabled: false });
    expect(off.status).toBe(409);
    expect(off.body.rollout.status).toBe("paused");
    const offOverride = await patchFlagState(app.url, eng, key, "production", {
      enabled: false,
      override: { reason: "turn it off for now" },
    });
    expect(offOverride.status).toBe(200);
    const after = (await call(app.url, "GET", `/api/v1/rollouts/${rolloutId}`, { token: eng })).body;
    expect(after.status).toBe("paused");
    expect(after.overrides.at(-1)).toMatchObject({ kind: "manual_change", paused: false, after: { enabled: false } });

    // Rolling back still restores the state from before the rollout, whatever the hand edits did.
    const rolledBack = await call(app.url, "POST", `/api/v1/rollouts/${rolloutId}/rollback`, {
      token: eng,
      body: { version: after.version, reason: "undo it all" },
    });
    expect(rolledBack.status).toBe(200);
    expect(await snapshot(key)).toMatchObject({ enabled: false, rollout_percent: 0 });
    // With the rollout over, plain edits are accepted again.
    expect((await patchFlagState(app.url, eng, key, "production", { enabled: true, rolloutPercent: 5 })).status).toBe(200);
  });

  it("lets only engineers and admins override; the kill switch stays allowed and pauses as before", async () => {
    const { key, rolloutId } = await liveRollout();
    const viewer = await patchFlagState(app.url, ROLE_TOKENS.viewer, key, "production", {
      enabled: false,
      override: { reason: "I want to" },
    });
    expect(viewer.status).toBe(403);
    const oncall = await patchFlagState(app.url, ROLE_TOKENS.oncall, key, "production", {
      enabled: false,
      override: { reason: "I want to" },
    });
    expect(oncall.status).toBe(403);
    const admin = await patchFlagState(app.url, ROLE_TOKENS.admin, key, "production", {
      rolloutPercent: 15,
      override: { reason: "admin call" },
    });
    expect(admin.status).toBe(200);
    expect((await snapshot(key)).rollout_percent).toBe(15);

    const kill = await call(app.url, "POST", `/api/v1/flags/${key}/environments/production/kill`, {
      token: ROLE_TOKENS.oncall,
      body: { reason: "errors everywhere" },
    });
    expect(kill.status).toBe(200);
    expect(kill.body.killed).toBe(true);
    const rollout = (await call(app.url, "GET", `/api/v1/rollouts/${rolloutId}`, { token: eng })).body;
    expect(rollout.status).toBe("paused");
  });

  it("a stale version gets 409 with the current state and who changed it", async () => {
    const key = `me-${process.pid}-stale`;
    expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
    expect((await patchFlagState(app.url, ROLE_TOKENS.admin, key, "staging", { rolloutPercent: 30 })).status).toBe(403);
    expect((await patchFlagState(app.url, eng, key, "staging", { rolloutPercent: 30 })).status).toBe(200);
    const stale = await call(app.url, "PATCH", `/api/v1/flags/${key}/environments/staging`, {
      token: eng,
      body: { version: 1, rolloutPercent: 40 },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.current).toMatchObject({ rolloutPercent: 30, version: 2 });
    expect(stale.body.lastChange).toMatchObject({ by: "engineer-bot (token)", action: "flag_state.update" });
  });
});
