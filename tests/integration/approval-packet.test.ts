// Issue 24: the approval form shows what it asks the product owner to attest to. Built through the
// real API: a staging rollback drill and a completed staging rollout, then a production rollout with
// guardrails and a webhook, approved once and edited since.
import { describe, expect, it } from "vitest";
import { SEED_GUARDRAILS } from "../../lib/domain/guardrail";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS } from "../support/http";

const eng = ROLE_TOKENS.engineer;
const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP, env: { ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: "3600000" } });

async function ok(method: string, path: string, body: unknown, token = eng) {
  const res = await call(app.url, method, path, { token, body });
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

async function plan(key: string, environment: string, phases: object[]) {
  return (await ok("POST", "/api/v1/rollouts", { flagKey: key, environment, phases })) as { id: string; version: number };
}

describe("the approval form's review packet", () => {
  it("shows the change, staging's results, the rollback, guardrails, webhooks and what changed since approval", async () => {
    const key = `packet-${process.pid}`;
    await ok("POST", "/api/v1/flags", { key });
    const quick = (...percents: number[]) => percents.map((percent) => ({ name: `${percent} %`, percent, minSoakSeconds: 0 }));

    // Staging: a rollback drill, then a rollout taken to 100 % and completed.
    const drill = await plan(key, "staging", quick(10, 100));
    await ok("POST", `/api/v1/rollouts/${drill.id}/advance`, { version: 1 });
    await ok("POST", `/api/v1/rollouts/${drill.id}/rollback`, { version: 2, reason: "rollback drill" });
    const full = await plan(key, "staging", quick(10, 100));
    for (let version = 1; version <= 3; version++) await ok("POST", `/api/v1/rollouts/${full.id}/advance`, { version });

    // Production: guardrails, a webhook whose path is its secret, and a two-phase plan.
    await ok("PUT", `/api/v1/flags/${key}/environments/production/guardrails`, { guardrails: SEED_GUARDRAILS }, ROLE_TOKENS.oncall);
    await t.sql(`INSERT INTO webhooks (environment_key, name, url) VALUES ('production', 'release-channel', $1)`, [
      "https://hooks.example.com/services/T000/B000/SECRETPATH",
    ]);
    const prod = await plan(key, "production", [
      { name: "10 %", percent: 10, minSoakSeconds: 3600, requiredApprovals: 1 },
      { name: "50 %", percent: 50, minSoakSeconds: 7200, requiredApprovals: 1 },
    ]);
    await ok(
      "POST",
      `/api/v1/rollouts/${prod.id}/phases/0/approvals`,
      { decision: "approved", riskLevel: "low", reviewed: ["change"], signature: "product_owner-bot" },
      ROLE_TOKENS.product_owner,
    );
    const edited = (await ok("GET", `/api/v1/rollouts/${prod.id}`, undefined)) as { version: number; phases: object[] };
    await ok("PATCH", `/api/v1/rollouts/${prod.id}`, {
      version: edited.version,
      phases: [
        { name: "10 %", percent: 10, minSoakSeconds: 3600, requiredApprovals: 1 },
        { name: "50 %", percent: 50, minSoakSeconds: 14_400, requiredApprovals: 1 },
      ],
    });

    const res = await call(app.url, "GET", `/api/v1/rollouts/${prod.id}/phases/0/review`, { token: ROLE_TOKENS.viewer });
    expect(res.status).toBe(200);
    const packet = res.body;
    expect(packet.change).toEqual({
      before: { enabled: false, rolloutPercent: 0, allowlist: [], rolloutSegments: [] },
      after: { enabled: true, rolloutPercent: 10, allowlist: [], rolloutSegments: [] },
      audience: { before: "off", after: "10 % of everyone" },
      // No SDK has reported who it evaluates in production: the form says so rather than a guess.
      reach: { before: null, after: "no users seen last week" },
      sinceApproved: { planVersion: 1, changes: ["Phase 2 “50 %”: soak 2 h → 4 h"] },
    });
    const [staging, ...others] = packet.earlierEnvironments;
    expect(others).toEqual([]);
    expect(staging).toMatchObject({
      environment: "staging",
      name: "Staging",
      rollout: { id: full.id, status: "completed", incidents: 0, rollbacks: 1, comparison: null },
    });
    expect(staging.rollout.exposures.map((e: { exposure: string }) => e.exposure)).toEqual(["on for 10 %", "on for 100 %"]);
    // Still at 100 %: the time there keeps counting.
    await new Promise((r) => setTimeout(r, 1100));
    const later = await call(app.url, "GET", `/api/v1/rollouts/${prod.id}/phases/0/review`, { token: ROLE_TOKENS.viewer });
    expect(later.body.earlierEnvironments[0].rollout.secondsAtFull).toBeGreaterThan(staging.rollout.secondsAtFull + 1);
    expect(packet.rollback).toEqual({
      restores: { enabled: false, rolloutPercent: 0, allowlist: [], rolloutSegments: [] },
      exercisedIn: ["Staging"],
    });
    expect(packet.monitoring.guardrails.map((g: { metric: string; action: string }) => [g.metric, g.action])).toEqual(
      SEED_GUARDRAILS.map((g) => [g.metric, g.action]),
    );
    expect(packet.communication).toEqual({
      notifyWebhookIds: null,
      webhooks: [{ id: expect.any(String), name: "release-channel", host: "hooks.example.com", enabled: true, notified: true }],
      stepKinds: ["approval.requested", "approval.signed", "rollout.advanced", "rollout.paused", "rollout.resumed", "rollout.rolled_back"],
      safetyKinds: ["flag.killed", "flag.restored", "guardrail.breached"],
    });
    expect(JSON.stringify(packet)).not.toContain("SECRETPATH");
    expect(packet.evidence).toBeNull();

    // A phase the plan does not have is a 404; so is a rollout that does not exist.
    expect((await call(app.url, "GET", `/api/v1/rollouts/${prod.id}/phases/7/review`, { token: eng })).status).toBe(404);
    const missing = await call(app.url, "GET", `/api/v1/rollouts/00000000-0000-4000-8000-000000000000/phases/0/review`, { token: eng });
    expect(missing.status).toBe(404);
  });

  it("a staging rollout still at 100 % is not counted once the flag leaves 100 %", async () => {
    const key = `packet-left-${process.pid}`;
    await ok("POST", "/api/v1/flags", { key });
    const staging = await plan(key, "staging", [{ name: "100 %", percent: 100, minSoakSeconds: 0 }]);
    await ok("POST", `/api/v1/rollouts/${staging.id}/advance`, { version: 1 });
    await ok("POST", `/api/v1/rollouts/${staging.id}/advance`, { version: 2 });
    const flag = (await ok("GET", `/api/v1/flags/${key}`, undefined)) as { environments: { staging: { version: number } } };
    await ok("PATCH", `/api/v1/flags/${key}/environments/staging`, { version: flag.environments.staging.version, rolloutPercent: 20 });
    const prod = await plan(key, "production", [{ name: "10 %", percent: 10, minSoakSeconds: 0 }]);
    const packet = (await ok("GET", `/api/v1/rollouts/${prod.id}/phases/0/review`, undefined)) as {
      earlierEnvironments: { rollout: { secondsAtFull: number } }[];
    };
    const atFull = packet.earlierEnvironments[0]!.rollout.secondsAtFull;
    await new Promise((r) => setTimeout(r, 1100));
    const again = (await ok("GET", `/api/v1/rollouts/${prod.id}/phases/0/review`, undefined)) as typeof packet;
    // Stopped counting when the flag was set to 20 %.
    expect(again.earlierEnvironments[0]!.rollout.secondsAtFull).toBe(atFull);
  });
});
