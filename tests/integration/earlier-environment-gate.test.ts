// Issue 24: a production plan can require the flag's staging results (the seeds' production
// checklist: "staging completed, ≥ 24 h at 100 %, no incident"), and the gate holds production until
// they exist.
import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS } from "../support/http";

const eng = ROLE_TOKENS.engineer;
const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP, env: { ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: "3600000" } });

async function ok(method: string, path: string, body?: unknown, token = eng) {
  const res = await call(app.url, method, path, { token, body });
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}
const gate = async (id: string) =>
  ((await ok("GET", `/api/v1/rollouts/${id}`)).gates as { name: string; ok: boolean; reason: string }[]).find(
    (g) => g.name === "earlier environment",
  );
const quick = (...percents: number[]) => percents.map((percent) => ({ name: `${percent} %`, percent, minSoakSeconds: 0 }));

describe("requiring the environment before", () => {
  it("holds production until staging completed, at 100 % long enough, without an incident", async () => {
    const key = `earlier-${process.pid}`;
    await ok("POST", "/api/v1/flags", { key });
    const prod = await ok("POST", "/api/v1/rollouts", {
      flagKey: key,
      environment: "production",
      phases: quick(10, 100),
      requireEarlier: { hoursAtFull: 0 },
    });
    expect(prod.requireEarlier).toEqual({ hoursAtFull: 0 });
    expect(await gate(prod.id)).toEqual({
      name: "earlier environment",
      ok: false,
      reason: "Staging: no rollout of this flag yet (required: completed, ≥ 0 h at 100 %, no incident)",
    });
    const refused = await call(app.url, "POST", `/api/v1/rollouts/${prod.id}/advance`, { token: eng, body: { version: 1 } });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain("Staging: no rollout of this flag yet");

    // Staging goes to 100 % (not yet completed), then completes.
    const staging = await ok("POST", "/api/v1/rollouts", { flagKey: key, environment: "staging", phases: quick(100) });
    await ok("POST", `/api/v1/rollouts/${staging.id}/advance`, { version: 1 });
    expect((await gate(prod.id))?.reason).toBe("Staging: rollout active, not completed");
    await ok("POST", `/api/v1/rollouts/${staging.id}/advance`, { version: 2 });
    expect(await gate(prod.id)).toMatchObject({
      ok: true,
      reason: expect.stringMatching(/^Staging completed, \d+ s at 100 %, no incident$/),
    });

    // Asking for 24 h turns it red again (an edit of the plan), and an incident in staging too.
    const current = await ok("GET", `/api/v1/rollouts/${prod.id}`);
    const edited = await ok("PATCH", `/api/v1/rollouts/${prod.id}`, { version: current.version, requireEarlier: { hoursAtFull: 24 } });
    expect(edited.planVersion).toBe(current.planVersion + 1);
    expect((await gate(prod.id))?.reason).toMatch(/^Staging: \d+ s at 100 % of 24 h$/);
    await ok("POST", `/api/v1/flags/${key}/environments/staging/kill`, { reason: "staging broke" }, ROLE_TOKENS.oncall);
    expect((await gate(prod.id))?.reason).toMatch(/^Staging: \d+ s at 100 % of 24 h, 1 incident$/);

    // Without the requirement there is no such gate; a bad value is a 400 naming the field.
    const again = await ok("GET", `/api/v1/rollouts/${prod.id}`);
    const bad = await call(app.url, "PATCH", `/api/v1/rollouts/${prod.id}`, {
      token: eng,
      body: { version: again.version, requireEarlier: { hoursAtFull: -1 } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toEqual({ "requireEarlier.hoursAtFull": "at least 0 hours" });
    await ok("PATCH", `/api/v1/rollouts/${prod.id}`, { version: again.version, requireEarlier: null });
    expect(await gate(prod.id)).toBeUndefined();
    const audit = await t.sql(`SELECT after FROM audit_log WHERE action = 'rollout.edit' AND target_id LIKE $1 ORDER BY id`, [
      `${key}/production/%`,
    ]);
    expect(audit.rows.map((r) => r.after.requireEarlier)).toEqual([{ hoursAtFull: 24 }, null]);
  });

  it("staging itself, with no environment before it, can never meet the requirement", async () => {
    const key = `earlier-first-${process.pid}`;
    await ok("POST", "/api/v1/flags", { key });
    const dev = await t.sql(`SELECT key FROM environments ORDER BY sort_order, key LIMIT 1`);
    const first = dev.rows[0].key as string;
    const r = await ok("POST", "/api/v1/rollouts", {
      flagKey: key,
      environment: first,
      phases: quick(100),
      requireEarlier: { hoursAtFull: 1 },
    });
    expect(await gate(r.id)).toEqual({
      name: "earlier environment",
      ok: false,
      reason: "the plan requires an earlier environment's results, but none comes before this one",
    });
  });
});
