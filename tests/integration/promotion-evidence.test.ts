// Promotion needs evidence (issue 23): a phase that splits traffic and has success criteria is green
// only once the comparison with control has had the data to catch `on` erring twice as often as
// `off`, and stays red while a comparative alarm stands, quoting it.
import { describe, expect, it } from "vitest";
import { SEED_GUARDRAILS } from "../../lib/domain/guardrail";
import { eventually } from "../support/eventually";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN, startLiveRollout } from "../support/http";

const eng = ROLE_TOKENS.engineer;
const { app } = setUpTestApp({
  bootstrapTokens: BOOTSTRAP,
  env: { ROLLGATE_GUARDRAIL_INTERVAL_MS: "300", ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: "3600000" },
});

const phases = [
  { name: "50 %", percent: 50, minSoakSeconds: 0, criteria: { maxErrorRate: 0.05, minSamples: 100, windowSeconds: 600 } },
  { name: "100 %", percent: 100, minSoakSeconds: 0 },
];

/** `n` SPLIT requests per arm, each from its own user, the first `errors[arm]` of them failing. */
async function send(key: string, n: number, errors: { on: number; off: number }, batch: number) {
  const events = (["on", "off"] as const).flatMap((variant) =>
    Array.from({ length: n }, (_, i) => ({
      flagKey: key,
      variant,
      reason: "SPLIT",
      outcome: i < errors[variant] ? "error" : "success",
      latencyMs: 30,
      targetingKey: `${variant}-${batch}-${i}`,
    })),
  );
  expect((await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { events } })).status).toBe(202);
}

const rollout = async (id: string) => (await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body;
const evidenceGate = async (id: string) =>
  ((await rollout(id)).gates as { name: string; ok: boolean; reason: string }[]).find((g) => g.name === "evidence");

describe("promotion needs evidence", () => {
  it("a 50 % phase is red until the split could have caught a 2× error ratio, then the engineer may advance", async () => {
    const { id } = await startLiveRollout(app.url, eng, `evidence-${process.pid}-a`, phases);
    // α = 0.03 at s = ½: 145 erroring subjects; at the floor rate (5 % / 2) they come with 145/(0.025·1.5) = 3,867 requests.
    await send(`evidence-${process.pid}-a`, 200, { on: 2, off: 2 }, 1);
    expect(await evidenceGate(id)).toEqual({
      name: "evidence",
      ok: false,
      reason: "change vs control: needs about 3,467 more requests (141 more errors) to catch a 2× ratio in errors",
    });
    const blocked = await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, {
      token: eng,
      body: { version: (await rollout(id)).version },
    });
    expect(blocked.status).toBe(422);

    await send(`evidence-${process.pid}-a`, 1_800, { on: 18, off: 18 }, 2);
    expect(await evidenceGate(id)).toEqual({
      name: "evidence",
      ok: true,
      reason:
        "change vs control: enough data: 4,000 requests would have caught a 2× rise from 2.5 % errors (a doubling from it breaches the 5 % error criterion); 40 errors so far",
    });
    const advanced = await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, {
      token: eng,
      body: { version: (await rollout(id)).version },
    });
    expect(advanced.status).toBe(200);
    expect(advanced.body.currentPhase).toBe(1);
  });

  it("a comparative alarm (here a dry-run guardrail's) keeps the gate red and says why, whatever the volume", async () => {
    const key = `evidence-${process.pid}-b`;
    const { id } = await startLiveRollout(app.url, eng, key, phases);
    const guardrails = SEED_GUARDRAILS.map((g) => ({ ...g }));
    const set = await call(app.url, "PUT", `/api/v1/flags/${key}/environments/production/guardrails`, {
      token: ROLE_TOKENS.oncall,
      body: { guardrails, dryRun: true },
    });
    expect(set.status).toBe(200);
    // 4 % errors on `on`, 0.5 % on `off`: within the 5 % criterion, yet 8× control.
    await send(key, 2_500, { on: 100, off: 12 }, 1);
    await send(key, 2_500, { on: 100, off: 13 }, 2);
    await eventually(async () => (await evidenceGate(id))?.reason.startsWith("change vs control: errors: ") === true, 15_000, "the alarm");
    const gate = (await evidenceGate(id))!;
    expect(gate.ok).toBe(false);
    expect(gate.reason).toMatch(/, evidence \S+ ≥ \S+ → roll back$/);
    const r = await rollout(id);
    expect(r.status).toBe("active");
    expect(r.gates.find((g: { name: string }) => g.name === "error rate")).toMatchObject({ ok: true });
    const blocked = await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, { token: eng, body: { version: r.version } });
    expect(blocked.status).toBe(422);
  });
});

describe("sample ratio mismatch", () => {
  it("a 50 % phase whose subjects arrive 3 : 1 is held (paused), notified, audited, and its gate says which arm is off", async () => {
    const key = `evidence-${process.pid}-srm`;
    const { id } = await startLiveRollout(app.url, eng, key, phases);
    const set = await call(app.url, "PUT", `/api/v1/flags/${key}/environments/production/guardrails`, {
      token: ROLE_TOKENS.oncall,
      body: { guardrails: SEED_GUARDRAILS.map((g) => ({ ...g })) },
    });
    expect(set.status).toBe(200);
    // A third of the expected `off` subjects: as if a cache served `on` to most of control. Stamped
    // in the next minute: the check counts from the minute after the flag's state last changed (the
    // rollout's start here), since the minute of a change mixes traffic of the old and new split.
    const timestamp = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 60_000).toISOString();
    const events = [
      ...Array.from({ length: 1_500 }, (_, i) => ({ variant: "on", i })),
      ...Array.from({ length: 500 }, (_, i) => ({ variant: "off", i })),
    ].map(({ variant, i }) => ({
      flagKey: key,
      variant,
      reason: "SPLIT",
      outcome: "success",
      latencyMs: 30,
      targetingKey: `${variant}-srm-${i}`,
      timestamp,
    }));
    expect((await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { events } })).status).toBe(202);
    await eventually(async () => (await rollout(id)).status === "paused", 15_000, "the hold");
    const gate = (await evidenceGate(id))!;
    expect(gate.ok).toBe(false);
    expect(gate.reason).toMatch(
      /^change vs control: sample ratio mismatch: (on|off) has [\d,]+ of [\d,]+ subjects where [\d,]+ are expected \([+−]\d/,
    );
    expect(gate.reason).toMatch(/→ hold$/);
    const audit = await call(app.url, "GET", `/api/v1/audit?target=${key}&action=guardrail.sample_ratio`, { token: ROLE_TOKENS.viewer });
    expect(audit.body.entries).toHaveLength(1);
    expect(audit.body.entries[0]).toMatchObject({
      action: "guardrail.sample_ratio",
      reason: expect.stringMatching(/^sample ratio mismatch: /),
    });
    const comparison = (
      await call(app.url, "GET", `/api/v1/flags/${key}/environments/production/guardrails`, { token: ROLE_TOKENS.viewer })
    ).body.comparison as { tests: { test: string; verdict: string; acted: string | null }[] };
    expect(comparison.tests.find((t) => t.test === "sample_ratio")).toMatchObject({ verdict: "alarm", acted: "paused the rollout" });
  });
});
