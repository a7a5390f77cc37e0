// Rollout phases that target a segment (issue 25), over real HTTP and a real PostgreSQL: a plan's
// internal phase is "Staff", checked when planned, served by OFREP, the SDK and the Unleash client
// API once advanced, kept by a segment edit, protected from deletion, and undone by a roll back.
import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { eventually } from "../support/eventually";
import { RollgateClient } from "../../lib/sdk";

const eng = ROLE_TOKENS.engineer;
const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`;
const STAFF = [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] }];

async function createSegment(name: string, constraints: unknown[] = STAFF): Promise<number> {
  const res = await call(app.url, "POST", "/api/v1/segments", { token: eng, body: { name, constraints } });
  expect(res.status).toBe(201);
  return res.body.id as number;
}

async function plan(key: string, phases: unknown[]) {
  expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
  return call(app.url, "POST", "/api/v1/rollouts", { token: eng, body: { flagKey: key, environment: "production", phases } });
}

const act = (id: string, action: string, body: Record<string, unknown>) =>
  call(app.url, "POST", `/api/v1/rollouts/${id}/${action}`, { token: eng, body });
const ofrep = (key: string, context: Record<string, unknown>) =>
  call(app.url, "POST", `/ofrep/v1/evaluate/flags/${key}`, { token: SDK_TOKEN, body: { context } });
const staffer = { targetingKey: "u-1", email: "ana@acme.com" };
const customer = { targetingKey: "u-2", email: "bo@example.com" };

describe("a rollout phase that targets a segment", () => {
  it("is planned with its audience in words, served once advanced, and undone by a roll back", async () => {
    const key = unique("internal-staff");
    const segment = await createSegment(unique("Staff"));
    const created = await plan(key, [
      { name: "Internal", percent: 0, segments: [segment, segment], minSoakSeconds: 0 },
      { name: "10 %", percent: 10, segments: [segment], minSoakSeconds: 0 },
      { name: "All", percent: 100, minSoakSeconds: 0 },
    ]);
    expect(created.status).toBe(201);
    expect(created.body.phases.map((p: { segments: number[] }) => p.segments)).toEqual([[segment], [segment], []]);
    expect(created.body.phases[0].audience).toMatch(/^Staff-\S+ \(email ends with @acme\.com\)$/);
    expect(created.body.phases[1].audience).toMatch(/\(email ends with @acme\.com\) and 10 % of everyone$/);

    // A draft changed nothing: nobody gets the flag yet.
    expect((await ofrep(key, staffer)).body.value).toBe(false);
    const started = await act(created.body.id, "advance", { version: created.body.version });
    expect(started.status).toBe(200);
    const flag = await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng });
    expect(flag.body.environments.production).toMatchObject({ enabled: true, rolloutPercent: 0, rolloutSegments: [segment] });

    await eventually(async () => (await ofrep(key, staffer)).body.value === true, 5000, "the phase's segment is served");
    expect((await ofrep(key, staffer)).body).toMatchObject({ value: true, reason: "TARGETING_MATCH" });
    expect((await ofrep(key, customer)).body).toMatchObject({ value: false });

    // The SDK and an Unleash SDK read the same audience.
    const sdk = await RollgateClient.connect({ url: app.url, sdkKey: SDK_TOKEN });
    try {
      await eventually(() => sdk.isEnabled(key, staffer), 5000, "the SDK has the phase's segment");
      expect(sdk.isEnabled(key, customer)).toBe(false);
    } finally {
      sdk.close();
    }
    const features = await (await fetch(`${app.url}/api/client/features`, { headers: { authorization: SDK_TOKEN } })).json();
    const feature = features.features.find((f: { name: string }) => f.name === key);
    // The phase's segment, and no 0 % rollout strategy beside it.
    expect(feature.strategies).toEqual([
      { name: "flexibleRollout", parameters: { rollout: "100", stickiness: "default", groupId: key }, constraints: STAFF },
    ]);

    const rolledBack = await act(created.body.id, "rollback", { version: started.body.version, reason: "staff saw a bug" });
    expect(rolledBack.status).toBe(200);
    expect((await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng })).body.environments.production.rolloutSegments).toEqual([]);
    await eventually(async () => (await ofrep(key, staffer)).body.value === false, 5000, "the roll back reaches evaluation");
    const refs = await t.sql(`SELECT count(*)::int AS n FROM flag_state_segments u JOIN flags f ON f.id = u.flag_id WHERE f.key = $1`, [
      key,
    ]);
    expect(refs.rows[0].n).toBe(0);
  });

  it("a segment the plan names must exist, and a 0 % phase needs an audience", async () => {
    const missing = await plan(unique("ghost-segment"), [{ name: "Internal", percent: 0, segments: [987654], minSoakSeconds: 0 }]);
    expect(missing.status).toBe(422);
    expect(missing.body.error.fields).toEqual({ "phases.0.segments": "no segment with id 987654" });
    const empty = await plan(unique("no-audience"), [{ name: "Internal", percent: 0, minSoakSeconds: 0 }]);
    expect(empty.status).toBe(400);
    expect(empty.body.error.fields).toEqual({
      "phases.0.percent": "a 0 % phase serves only its audience: add a segment or targeting keys",
    });
    const bad = await plan(unique("bad-segment"), [{ name: "Internal", percent: 0, segments: ["staff"], minSoakSeconds: 0 }]);
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.error.fields)).toEqual(["phases.0.segments.0"]);
  });

  it("a segment a plan or a live phase serves cannot be deleted; an edit needs confirming and reaches evaluation", async () => {
    const segment = await createSegment(unique("Beta"));
    const key = unique("beta-phase");
    const created = await plan(key, [
      { name: "Beta", percent: 0, segments: [segment], minSoakSeconds: 0 },
      { name: "All", percent: 100, minSoakSeconds: 0 },
    ]);
    expect(created.status).toBe(201);
    // Planned only (a draft): still in use, by the plan its approvers will sign.
    const whilePlanned = await call(app.url, "DELETE", `/api/v1/segments/${segment}`, { token: eng });
    expect(whilePlanned.status).toBe(409);
    expect(whilePlanned.body.error.message).toContain(`${key} in production (draft rollout)`);

    const started = await act(created.body.id, "advance", { version: created.body.version });
    expect(started.status).toBe(200);
    expect((await call(app.url, "DELETE", `/api/v1/segments/${segment}`, { token: eng })).status).toBe(409);

    const current = (await call(app.url, "GET", `/api/v1/segments/${segment}`, { token: eng })).body;
    const edit = { version: current.version, constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@beta.dev"] }] };
    const unconfirmed = await call(app.url, "PATCH", `/api/v1/segments/${segment}`, { token: eng, body: edit });
    expect(unconfirmed.status).toBe(409);
    expect((await call(app.url, "PATCH", `/api/v1/segments/${segment}`, { token: eng, body: { ...edit, confirm: true } })).status).toBe(
      200,
    );
    await eventually(
      async () => (await ofrep(key, { targetingKey: "u-3", email: "cy@beta.dev" })).body.value === true,
      5000,
      "the edit is served",
    );
    expect((await ofrep(key, staffer)).body.value).toBe(false);

    // At 100 % the segment adds no one: the state lets go of it, and it can be deleted.
    const full = await act(created.body.id, "advance", { version: started.body.version });
    expect(full.status).toBe(200);
    expect(full.body).toMatchObject({ status: "active", currentPhase: 1 });
    expect((await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng })).body.environments.production).toMatchObject({
      rolloutPercent: 100,
      rolloutSegments: [],
    });
    expect((await call(app.url, "DELETE", `/api/v1/segments/${segment}`, { token: eng })).status).toBe(204);
  });

  it("a segment edit changes every plan whose phases to come serve it: their forms are void and say what changed", async () => {
    const segment = await createSegment(unique("Pilot"));
    const key = unique("pilot-plan");
    const created = await plan(key, [
      { name: "10 %", percent: 10, minSoakSeconds: 0 },
      { name: "Pilot", percent: 20, segments: [segment], minSoakSeconds: 0, requiredApprovals: 1 },
      { name: "All", percent: 100, minSoakSeconds: 0 },
    ]);
    const id = created.body.id as string;
    const started = await act(id, "advance", { version: created.body.version });
    expect(started.status).toBe(200);
    const signed = await call(app.url, "POST", `/api/v1/rollouts/${id}/phases/1/approvals`, {
      token: ROLE_TOKENS.product_owner,
      body: { decision: "approved", riskLevel: "low", reviewed: ["change"], signature: "product_owner-bot", planVersion: 1 },
    });
    expect(signed.status).toBe(201);
    const audienceBefore = started.body.phases[1].audience as string;
    expect(audienceBefore).toContain("(email ends with @acme.com) and 20 % of everyone");

    // A description is not who matches: no plan changes.
    const seg = (await call(app.url, "GET", `/api/v1/segments/${segment}`, { token: eng })).body;
    expect(
      (
        await call(app.url, "PATCH", `/api/v1/segments/${segment}`, {
          token: eng,
          body: { version: seg.version, description: "pilot users" },
        })
      ).status,
    ).toBe(200);
    expect((await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body).toMatchObject({ planVersion: 1, version: 2 });

    const edited = await call(app.url, "PATCH", `/api/v1/segments/${segment}`, {
      token: eng,
      body: {
        version: seg.version + 1,
        constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@pilot.dev"] }],
        confirm: true,
        confirmRollouts: [id],
      },
    });
    expect(edited.status).toBe(200);
    const view = (await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body;
    expect(view).toMatchObject({ planVersion: 2, version: 3 });
    expect(view.approvals.map((a: { state: string }) => a.state)).toEqual(["void"]);
    expect(view.gates.find((g: { name: string }) => g.name === "approvals")).toMatchObject({
      ok: false,
      reason: "needs 1 approval, has 0; 1 void after a plan change",
    });
    const audienceAfter = view.phases[1].audience as string;
    expect(audienceAfter).toContain("(email ends with @pilot.dev) and 20 % of everyone");
    // The form says what changed since the product owner signed.
    const review = await call(app.url, "GET", `/api/v1/rollouts/${id}/phases/1/review`, { token: eng });
    expect(review.body.change.sinceApproved).toEqual({
      planVersion: 1,
      changes: [`Phase 2 “Pilot”: audience “${audienceBefore}” → “${audienceAfter}” (a segment changed)`],
    });
    const audit = await t.sql(
      `SELECT actor, actor_id::text, reason, after->'segment' AS segment FROM audit_log WHERE action = 'rollout.edit' AND target_id LIKE $1 ORDER BY id`,
      [`%/${id}`],
    );
    expect(audit.rows).toEqual([
      {
        actor: "engineer-bot (token)",
        actor_id: view.lastEditedBy,
        reason: `segment “${seg.name}” changed`,
        segment: { id: segment, name: seg.name },
      },
    ]);
  });

  it("a draft planning a segment its flag's targeting already uses is named in the edit's confirmation, and replanned", async () => {
    const segment = await createSegment(unique("Both"));
    const key = unique("both-uses");
    const created = await plan(key, [
      { name: "10 %", percent: 10, minSoakSeconds: 0 },
      { name: "Both", percent: 20, segments: [segment], minSoakSeconds: 0 },
    ]);
    expect(created.status).toBe(201);
    const targeted = await call(app.url, "PATCH", `/api/v1/flags/${key}/environments/production`, {
      token: eng,
      body: { version: 1, targeting: { strategies: [{ rollout: 100, segments: [segment] }] } },
    });
    expect(targeted.status).toBe(200);
    const change = { version: 1, constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@both.dev"] }] };
    const unconfirmed = await call(app.url, "PATCH", `/api/v1/segments/${segment}`, { token: eng, body: change });
    expect(unconfirmed.status).toBe(409);
    expect(unconfirmed.body.rollouts.map((r: { id: string }) => r.id)).toEqual([created.body.id]);
    const confirmed = await call(app.url, "PATCH", `/api/v1/segments/${segment}`, {
      token: eng,
      body: { ...change, confirm: true, confirmRollouts: [created.body.id] },
    });
    expect(confirmed.status).toBe(200);
    expect((await call(app.url, "GET", `/api/v1/rollouts/${created.body.id}`, { token: eng })).body.planVersion).toBe(2);
  });

  it("a segment edit and an advance into a phase serving it, at once: each waits for the other, never a deadlock (10 rounds)", async () => {
    for (let round = 0; round < 10; round++) {
      const segment = await createSegment(unique("Race"));
      const created = await plan(unique("race-plan"), [
        { name: "10 %", percent: 10, minSoakSeconds: 0 },
        { name: "Race", percent: 20, segments: [segment], minSoakSeconds: 0 },
        { name: "All", percent: 100, minSoakSeconds: 0 },
      ]);
      const started = await act(created.body.id, "advance", { version: created.body.version });
      const [edit, advance] = await Promise.all([
        call(app.url, "PATCH", `/api/v1/segments/${segment}`, {
          token: eng,
          body: {
            version: 1,
            constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: [`@r${round}.dev`] }],
            confirm: true,
          },
        }),
        act(created.body.id, "advance", { version: started.body.version }),
      ]);
      expect(edit.status).toBe(200);
      // The edit first: the plan moved to a new version, so the advance sent with the old one is stale.
      // The advance first: it went ahead, and the edit changed the plan's phases to come after it.
      expect([200, 409]).toContain(advance.status);
      const view = (await call(app.url, "GET", `/api/v1/rollouts/${created.body.id}`, { token: eng })).body;
      // An advance that went first left no phase to come serving the segment: its plan is not replanned.
      expect(view).toMatchObject(advance.status === 200 ? { currentPhase: 1, planVersion: 1 } : { currentPhase: 0, planVersion: 2 });
    }
  });

  it("a segment deleted while a plan naming it is created: one of the two wins, never both (10 rounds)", async () => {
    for (let round = 0; round < 10; round++) {
      const segment = await createSegment(unique("Racing"));
      const key = unique("racing-plan");
      expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
      const [created, deleted] = await Promise.all([
        call(app.url, "POST", "/api/v1/rollouts", {
          token: eng,
          body: { flagKey: key, environment: "production", phases: [{ name: "Internal", percent: 0, segments: [segment] }] },
        }),
        call(app.url, "DELETE", `/api/v1/segments/${segment}`, { token: eng }),
      ]);
      const outcome = `${created.status}/${deleted.status}`;
      expect(["201/409", "422/204"], `round ${round}: ${JSON.stringify([created.body, deleted.body])}`).toContain(outcome);
      const named = await t.sql(`SELECT count(*)::int AS n FROM rollout_phases WHERE $1::int = ANY(segments)`, [segment]);
      const exists = await t.sql(`SELECT count(*)::int AS n FROM segments WHERE id = $1`, [segment]);
      expect([named.rows[0].n, exists.rows[0].n]).toEqual(outcome === "201/409" ? [1, 1] : [0, 0]);
    }
  });

  it("the playbook template takes the internal phase's segments and keeps them until 100 %", async () => {
    const segment = await createSegment(unique("Crew"));
    const key = unique("playbook-segment");
    expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
    const res = await call(app.url, "POST", "/api/v1/rollouts", {
      token: eng,
      body: { flagKey: key, environment: "staging", template: "playbook", internalSegments: [segment] },
    });
    expect(res.status).toBe(201);
    expect(res.body.phases.map((p: { percent: number; segments: number[] }) => [p.percent, p.segments])).toEqual([
      [0, [segment]],
      [10, [segment]],
      [50, [segment]],
      [100, []],
    ]);
  });
});
