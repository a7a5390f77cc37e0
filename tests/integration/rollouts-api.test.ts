import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { startReceiver } from "../support/webhook-receiver";
import { eventually } from "../support/eventually";
import { actOnBreach } from "../../lib/guardrails/guardrail-worker";

const eng = ROLE_TOKENS.engineer;
const po = ROLE_TOKENS.product_owner;
// A person who both engineers and owns product: may request, never approve their own request.
const ENG_PO = "tok-eng-po-0001";
const POS = Array.from({ length: 10 }, (_, i) => ({ name: `po${i}-bot`, token: `tok-po-many-${i}` }));

const extra = [`eng-po-bot:engineer+product_owner:${ENG_PO}`, ...POS.map((p) => `${p.name}:product_owner:${p.token}`)].join(",");
const { t, app } = setUpTestApp({ bootstrapTokens: `${BOOTSTRAP},${extra}` });

let seq = 0;
async function newFlag(): Promise<string> {
  const key = `ro-${process.pid}-${++seq}`;
  expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
  return key;
}

const quickPhases = [
  { name: "10 %", percent: 10 },
  { name: "50 %", percent: 50 },
  { name: "100 %", percent: 100 },
];

async function counts() {
  const r = await t.sql(
    "SELECT (SELECT count(*) FROM rollouts)::int AS rollouts, (SELECT count(*) FROM approvals)::int AS approvals, (SELECT count(*) FROM audit_log)::int AS audit, (SELECT coalesce(sum(version),0) FROM flag_states)::int AS states",
  );
  return r.rows[0];
}

const approve = (token: string, signature: string, extra: Record<string, unknown> = {}) => ({
  token,
  body: { decision: "approved", riskLevel: "medium", reviewed: ["change", "rollback plan"], signature, ...extra },
});

describe("rollouts API", () => {
  it("creates a plan from the playbook template as a draft with its gates", async () => {
    const key = await newFlag();
    const res = await call(app.url, "POST", "/api/v1/rollouts", {
      token: eng,
      body: {
        flagKey: key,
        environment: "production",
        template: "playbook",
        internalAllowlist: ["qa-1"],
        impact: { riskLevel: "medium", benefits: "faster", risks: "locks" },
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      flagKey: key,
      environment: "production",
      status: "draft",
      currentPhase: -1,
      version: 1,
      planVersion: 1,
    });
    expect(res.body.phases.map((p: { name: string; percent: number }) => [p.name, p.percent])).toEqual([
      ["Internal", 0],
      ["10 %", 10],
      ["50 %", 50],
      ["100 %", 100],
    ]);
    expect(res.body.phases[0]).toMatchObject({
      allowlist: ["qa-1"],
      requiredApprovals: 1,
      checklist: ["backup verified", "rollback tested", "monitoring in place"],
    });
    const gates = Object.fromEntries(res.body.gates.map((g: { name: string; ok: boolean; reason: string }) => [g.name, g]));
    expect(gates.approvals).toEqual({ name: "approvals", ok: false, reason: "needs 1 approval, has 0" });
    expect(gates.checklist.ok).toBe(false);
    expect(gates.incidents.ok).toBe(true);

    const got = await call(app.url, "GET", `/api/v1/rollouts/${res.body.id}`, { token: ROLE_TOKENS.viewer });
    expect(got.status).toBe(200);
    expect(got.body.id).toBe(res.body.id);
  });

  it("refuses bad plans and a second live rollout with field messages, writing nothing", async () => {
    const key = await newFlag();
    const before = await counts();
    const cases: [Record<string, unknown>, number, string][] = [
      [
        {
          flagKey: key,
          environment: "production",
          phases: [
            { name: "a", percent: 50 },
            { name: "b", percent: 10 },
          ],
        },
        400,
        "phases.1.percent",
      ],
      [{ flagKey: key, environment: "production", phases: [{ name: "a", percent: 101 }] }, 400, "phases.0.percent"],
      [{ flagKey: key, environment: "production", phases: [{ name: "a", percent: 0 }] }, 400, "phases.0.percent"],
      [{ flagKey: key, environment: "production", phases: [] }, 400, "phases"],
      [{ flagKey: key, environment: "production" }, 400, "phases"],
      // The playbook with nobody in its internal phase: named on the field that sets them.
      [{ flagKey: key, environment: "production", template: "playbook" }, 400, "internalAllowlist"],
      [{ flagKey: "no-such-flag", environment: "production", phases: quickPhases }, 400, "flagKey"],
      [{ flagKey: key, environment: "moon", phases: quickPhases }, 400, "environment"],
      [{ flagKey: key, environment: "production", phases: [{ name: "", percent: 10 }] }, 400, "phases.0.name"],
    ];
    for (const [body, status, field] of cases) {
      const res = await call(app.url, "POST", "/api/v1/rollouts", { token: eng, body });
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), status]);
      expect(Object.keys(res.body.error.fields)).toContain(field);
    }
    expect(await counts()).toEqual(before);

    expect(
      (
        await call(app.url, "POST", "/api/v1/rollouts", {
          token: eng,
          body: { flagKey: key, environment: "production", phases: quickPhases },
        })
      ).status,
    ).toBe(201);
    const mid = await counts();
    const second = await call(app.url, "POST", "/api/v1/rollouts", {
      token: eng,
      body: { flagKey: key, environment: "production", phases: quickPhases },
    });
    expect(second.status).toBe(409);
    expect(second.body.error.fields.flagKey).toBe("already has a live rollout in production");
    expect(await counts()).toEqual(mid);
    expect(
      (
        await call(app.url, "POST", "/api/v1/rollouts", {
          token: ROLE_TOKENS.viewer,
          body: { flagKey: key, environment: "staging", phases: quickPhases },
        })
      ).status,
    ).toBe(403);
  });

  it("advances only through green gates, sets the flag in the same step, and rolls back to the state before", async () => {
    const key = await newFlag();
    const flag0 = await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng });
    const created = await call(app.url, "POST", "/api/v1/rollouts", {
      token: eng,
      body: {
        flagKey: key,
        environment: "production",
        phases: [
          { name: "Internal", percent: 0, allowlist: ["qa-1", "qa-2"], requiredApprovals: 1, checklist: ["backup verified"] },
          { name: "10 %", percent: 10 },
        ],
      },
    });
    const id = created.body.id;
    const red = await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, { token: eng, body: { version: 1 } });
    expect(red.status).toBe(422);
    expect(red.body.gates.filter((g: { ok: boolean }) => !g.ok).map((g: { name: string }) => g.name)).toEqual(["approvals", "checklist"]);

    const ticked = await call(app.url, "POST", `/api/v1/rollouts/${id}/phases/0/checklist`, {
      token: eng,
      body: { item: "backup verified", done: true },
    });
    expect(ticked.status).toBe(200);
    // Who ticked it, by name (read only when a rollout has ticks).
    expect(ticked.body.phases[0].ticked).toEqual([{ item: "backup verified", by: "engineer-bot", at: expect.any(String) }]);
    const signed = await call(app.url, "POST", `/api/v1/rollouts/${id}/phases/0/approvals`, approve(po, "product_owner-bot"));
    expect(signed.status).toBe(201);
    expect(signed.body).toMatchObject({ decision: "approved", state: "live", planVersion: 1, signer: { name: "product_owner-bot" } });
    expect(signed.body.contentHash).toMatch(/^[0-9a-f]{64}$/);

    const advanced = await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, { token: eng, body: { version: 1 } });
    expect(advanced.status).toBe(200);
    expect(advanced.body).toMatchObject({ status: "active", currentPhase: 0, version: 2 });
    const flag1 = await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng });
    expect(flag1.body.environments.production).toMatchObject({ enabled: true, rolloutPercent: 0, allowlist: ["qa-1", "qa-2"] });

    // The SDK sees the internal audience as soon as the change notification arrives.
    const evaluateFor = (targetingKey: string) =>
      call(app.url, "POST", `/ofrep/v1/evaluate/flags/${key}`, { token: SDK_TOKEN, body: { context: { targetingKey } } });
    await eventually(async () => (await evaluateFor("qa-1")).body.reason === "TARGETING_MATCH", 10_000, "the allowlist reaches SDKs");
    expect((await evaluateFor("qa-1")).body).toMatchObject({ value: true, reason: "TARGETING_MATCH" });
    expect((await evaluateFor("someone-else")).body.value).toBe(false);

    const stale = await call(app.url, "POST", `/api/v1/rollouts/${id}/pause`, { token: eng, body: { version: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.body.current.version).toBe(2);
    const noReason = await call(app.url, "POST", `/api/v1/rollouts/${id}/rollback`, { token: ROLE_TOKENS.oncall, body: { version: 2 } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.fields).toEqual({ reason: "say why you roll back (at least 3 characters)" });
    const rolledBack = await call(app.url, "POST", `/api/v1/rollouts/${id}/rollback`, {
      token: ROLE_TOKENS.oncall,
      body: { version: 2, reason: "errors in checkout" },
    });
    expect(rolledBack.status).toBe(200);
    expect(rolledBack.body).toMatchObject({ status: "rolled_back", endedReason: "errors in checkout" });
    const flag2 = await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng });
    const { enabled, rolloutPercent, allowlist } = flag0.body.environments.production;
    expect(flag2.body.environments.production).toMatchObject({ enabled, rolloutPercent, allowlist });

    const audit = await call(app.url, "GET", `/api/v1/audit?target=${key}&action=rollout`, { token: eng });
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toEqual([
      "rollout.rollback",
      "rollout.advance",
      "rollout.checklist_tick",
      "rollout.create",
    ]);
  });

  it("keeps approvals honest: no self-approval, validated forms, one live form per signer, voided by a plan edit", async () => {
    const key = await newFlag();
    const created = await call(app.url, "POST", "/api/v1/rollouts", {
      token: ENG_PO,
      body: {
        flagKey: key,
        environment: "production",
        phases: [
          { name: "10 %", percent: 10, requiredApprovals: 1 },
          { name: "50 %", percent: 50 },
        ],
      },
    });
    const id = created.body.id;
    const own = await call(app.url, "POST", `/api/v1/rollouts/${id}/phases/0/approvals`, approve(ENG_PO, "eng-po-bot"));
    expect(own.status).toBe(403);
    expect(own.body.error.message).toMatch(/requested this rollout/);

    const before = await counts();
    for (const [extra, field] of [
      [{ decision: "conditional" }, "conditions"],
      [{ decision: "rejected" }, "reason"],
      [{ signature: "Someone Else" }, "signature"],
      [{ reviewed: [] }, "reviewed"],
      [{ riskLevel: "extreme" }, "riskLevel"],
    ] as const) {
      const res = await call(app.url, "POST", `/api/v1/rollouts/${id}/phases/0/approvals`, approve(po, "product_owner-bot", extra));
      expect([field, res.status]).toEqual([field, 400]);
      expect(Object.keys(res.body.error.fields)).toContain(field);
    }
    expect(await counts()).toEqual(before);

    const first = await call(
      app.url,
      "POST",
      `/api/v1/rollouts/${id}/phases/0/approvals`,
      approve(po, "product_owner-bot", { decision: "conditional", conditions: "only after 18:00" }),
    );
    expect(first.status).toBe(201);
    const again = await call(app.url, "POST", `/api/v1/rollouts/${id}/phases/0/approvals`, approve(po, "product_owner-bot"));
    expect(again.status).toBe(409);
    const replaced = await call(
      app.url,
      "POST",
      `/api/v1/rollouts/${id}/phases/0/approvals`,
      approve(po, "product_owner-bot", { supersedes: first.body.id }),
    );
    expect(replaced.status).toBe(201);
    let view = (await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body;
    expect(view.approvals.map((a: { state: string; decision: string }) => [a.decision, a.state])).toEqual([
      ["conditional", "superseded"],
      ["approved", "live"],
    ]);
    expect(view.gates.find((g: { name: string }) => g.name === "approvals")).toMatchObject({
      ok: true,
      reason: "needs 1 approval, has 1 (product_owner-bot)",
    });

    // The database itself refuses to change a signed form.
    await expect(t.sql(`UPDATE approvals SET decision = 'rejected' WHERE id = $1`, [replaced.body.id])).rejects.toThrow(/immutable/);
    await expect(t.sql(`DELETE FROM approvals WHERE id = $1`, [replaced.body.id])).rejects.toThrow(/immutable/);

    const edited = await call(app.url, "PATCH", `/api/v1/rollouts/${id}`, {
      token: eng,
      body: {
        version: view.version,
        phases: [
          { name: "10 %", percent: 15, requiredApprovals: 1 },
          { name: "50 %", percent: 50 },
        ],
      },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.planVersion).toBe(2);
    view = edited.body;
    expect(view.approvals.map((a: { state: string }) => a.state)).toEqual(["superseded", "void"]);
    expect(view.gates.find((g: { name: string }) => g.name === "approvals")).toMatchObject({
      ok: false,
      reason: "needs 1 approval, has 0; 1 void after a plan change",
    });
    // The editor may not approve what they edited.
    const editorIsPo = await call(app.url, "PATCH", `/api/v1/rollouts/${id}`, {
      token: ENG_PO,
      body: { version: view.version, impact: { riskLevel: "high", benefits: "", risks: "more" } },
    });
    expect(editorIsPo.status).toBe(200);
  });

  it("a form names the gates its signer saw passing: one that has failed since is refused with 409 and nothing is signed", async () => {
    const key = await newFlag();
    const created = await call(app.url, "POST", "/api/v1/rollouts", {
      token: eng,
      body: {
        flagKey: key,
        environment: "production",
        phases: [
          { name: "10 %", percent: 10 },
          { name: "50 %", percent: 50, requiredApprovals: 1 },
          { name: "100 %", percent: 100 },
        ],
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const started = await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, { token: eng, body: { version: created.body.version } });
    expect(started.status).toBe(200);
    type GateBody = { name: string; ok: boolean; reason: string };
    const passingNow = async () => {
      const body = (await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: po })).body as { gates: GateBody[]; planVersion: number };
      const failing = new Set(body.gates.filter((g) => !g.ok).map((g) => g.name));
      return { planVersion: body.planVersion, names: [...new Set(body.gates.map((g) => g.name))].filter((n) => !failing.has(n)) };
    };
    // The product owner opens the form with no incident open; on-call then kills the flag, which opens one.
    const shown = await passingNow();
    expect(shown.names).toContain("incidents");
    const killed = await call(app.url, "POST", `/api/v1/flags/${key}/environments/production/kill`, {
      token: ROLE_TOKENS.oncall,
      body: { reason: "checkout errors paged" },
    });
    expect(killed.status).toBe(200);
    const before = await counts();
    const signWith = (passingGates: unknown) =>
      call(
        app.url,
        "POST",
        `/api/v1/rollouts/${id}/phases/1/approvals`,
        approve(po, "product_owner-bot", { planVersion: shown.planVersion, passingGates }),
      );

    const stale = await signWith(shown.names);
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toMatch(
      /^Since you opened the form, .*the incidents gate fails \(.+\).*: review the rollout again and sign$/,
    );
    expect(Object.keys(stale.body.error.fields)).toEqual(["passingGates"]);
    expect(stale.body.error.fields.passingGates).toContain("incidents");
    expect((stale.body.current.gates as GateBody[]).find((g) => g.name === "incidents")).toMatchObject({ ok: false });
    expect(await counts()).toEqual(before);

    for (const bad of [["weather"], ["soak", "soak"], "soak", [1]]) {
      const res = await signWith(bad);
      // The list, or the entry it refuses ("passingGates.0").
      const fields = Object.keys(res.body.error.fields ?? {});
      expect([bad, res.status, fields.length > 0 && fields.every((f) => /^passingGates(\.\d+)?$/.test(f))]).toEqual([bad, 400, true]);
    }
    expect(await counts()).toEqual(before);

    // Signed on what is shown now (the incident's gate red), the record keeps what was shown passing.
    const now = await passingNow();
    expect(now.names).not.toContain("incidents");
    const signed = await signWith(now.names);
    expect(signed.status).toBe(201);
    const { rows } = await t.sql(`SELECT metrics_snapshot FROM approvals WHERE id = $1`, [signed.body.id]);
    expect(rows[0].metrics_snapshot.passingGatesShown).toEqual(now.names);
    // A form that does not say (an older client) is checked as before: by plan version only.
    const other = await call(
      app.url,
      "POST",
      `/api/v1/rollouts/${id}/phases/1/approvals`,
      approve(POS[0]!.token, POS[0]!.name, { planVersion: now.planVersion }),
    );
    expect(other.status).toBe(201);
    expect(
      (await t.sql(`SELECT metrics_snapshot FROM approvals WHERE id = $1`, [other.body.id])).rows[0].metrics_snapshot,
    ).not.toHaveProperty("passingGatesShown");
  });

  it("a form names the plan version its signer reviewed: one edited since is refused with 409 and nothing is signed", async () => {
    const key = await newFlag();
    const created = await call(app.url, "POST", "/api/v1/rollouts", {
      token: eng,
      body: {
        flagKey: key,
        environment: "production",
        phases: [
          { name: "10 %", percent: 10, requiredApprovals: 1 },
          { name: "100 %", percent: 100 },
        ],
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // The product owner opens the form on version 1; an engineer widens the phase meanwhile.
    const edited = await call(app.url, "PATCH", `/api/v1/rollouts/${id}`, {
      token: eng,
      body: {
        version: 1,
        phases: [
          { name: "10 %", percent: 40, requiredApprovals: 1 },
          { name: "100 %", percent: 100 },
        ],
      },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.planVersion).toBe(2);
    const before = await counts();
    const signOn = (planVersion: unknown) =>
      call(app.url, "POST", `/api/v1/rollouts/${id}/phases/0/approvals`, approve(po, "product_owner-bot", { planVersion }));

    const stale = await signOn(1);
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toContain("you reviewed version 1, it is now version 2");
    expect(stale.body.error.fields).toEqual({ reviewed: "the plan is now version 2: review each item again" });
    expect(stale.body.current).toMatchObject({ id, planVersion: 2 });
    expect(stale.body.current.phases[0]).toMatchObject({ percent: 40 });
    expect(await counts()).toEqual(before);

    for (const bad of [0, 1.5, "2"]) {
      const res = await signOn(bad);
      expect([bad, res.status, Object.keys(res.body.error.fields ?? {})]).toEqual([bad, 400, ["planVersion"]]);
    }
    expect(await counts()).toEqual(before);

    // Signed on what they were shown, the form binds that version.
    const signed = await signOn(2);
    expect(signed.status).toBe(201);
    expect(signed.body).toMatchObject({ planVersion: 2, decision: "approved" });
  });

  it("four eyes: whoever edited any version of the plan may not approve it, even after someone else edits it", async () => {
    const key = await newFlag();
    const created = await call(app.url, "POST", "/api/v1/rollouts", {
      token: eng,
      body: {
        flagKey: key,
        environment: "production",
        phases: [
          { name: "A", percent: 10 },
          { name: "B", percent: 50, requiredApprovals: 1 },
        ],
        impact: { riskLevel: "low", benefits: "faster", risks: "none" },
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // The engineer + product owner changes phase B…
    const byEngPo = await call(app.url, "PATCH", `/api/v1/rollouts/${id}`, {
      token: ENG_PO,
      body: {
        version: created.body.version,
        phases: [
          { name: "A", percent: 10 },
          { name: "B", percent: 40, requiredApprovals: 1 },
        ],
      },
    });
    expect(byEngPo.status).toBe(200);
    // …then someone else edits only the impact text, so the last editor is no longer them.
    const byEng = await call(app.url, "PATCH", `/api/v1/rollouts/${id}`, {
      token: eng,
      body: { version: byEngPo.body.version, impact: { riskLevel: "low", benefits: "faster", risks: "none known" } },
    });
    expect(byEng.status).toBe(200);
    expect(byEng.body.planVersion).toBe(3);
    expect(byEng.body.lastEditedBy).not.toBe(byEngPo.body.lastEditedBy);
    expect(byEng.body.planEditors).toHaveLength(2);
    expect(byEng.body.planEditors).toContain(byEngPo.body.lastEditedBy);

    const before = await counts();
    const own = await call(app.url, "POST", `/api/v1/rollouts/${id}/phases/1/approvals`, approve(ENG_PO, "eng-po-bot"));
    expect(own.status).toBe(403);
    expect(own.body.error.message).toBe(
      "You edited this rollout's plan (an edit stays in every later version); another product owner must approve it",
    );
    expect(await counts()).toEqual(before);

    // A product owner who touched no version of the plan still may.
    const other = await call(app.url, "POST", `/api/v1/rollouts/${id}/phases/1/approvals`, approve(POS[0]!.token, POS[0]!.name));
    expect(other.status).toBe(201);
  });

  describe("a roll back that would widen exposure", () => {
    /** A flag at `from`, then a live rollout of it at 10 %: rolling back would restore `from`. */
    async function liveFrom(from: Record<string, unknown>) {
      const key = await newFlag();
      const flag = await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng });
      const set = await call(app.url, "PATCH", `/api/v1/flags/${key}/environments/production`, {
        token: eng,
        body: { version: flag.body.environments.production.version, ...from },
      });
      expect(set.status).toBe(200);
      const created = await call(app.url, "POST", "/api/v1/rollouts", {
        token: eng,
        body: { flagKey: key, environment: "production", phases: quickPhases },
      });
      const started = await call(app.url, "POST", `/api/v1/rollouts/${created.body.id}/advance`, { token: eng, body: { version: 1 } });
      expect(started.body).toMatchObject({ status: "active", currentPhase: 0 });
      return { key, id: created.body.id as string, version: started.body.version as number };
    }
    const flagNow = async (key: string) => {
      const { enabled, rolloutPercent, allowlist } = (await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng })).body.environments
        .production;
      return { enabled, rolloutPercent, allowlist };
    };

    it("is refused to on-call, who is pointed at the kill switch, and changes nothing", async () => {
      const { key, id, version } = await liveFrom({ enabled: true, rolloutPercent: 100 });
      const before = await counts();
      const res = await call(app.url, "POST", `/api/v1/rollouts/${id}/rollback`, {
        token: ROLE_TOKENS.oncall,
        body: { version, reason: "errors in checkout", confirmWiden: true },
      });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe(
        "Rolling back would widen exposure from 10 % to 100 %; on-call may only narrow it: use Kill to turn the flag off",
      );
      expect(res.body.error.fields.confirmWiden).toMatch(/use Kill/);
      expect(res.body.widening).toEqual({
        before: { enabled: true, rolloutPercent: 10, allowlist: [], rolloutSegments: [] },
        after: { enabled: true, rolloutPercent: 100, allowlist: [], rolloutSegments: [] },
      });
      expect(await counts()).toEqual(before);
      expect(await flagNow(key)).toEqual({ enabled: true, rolloutPercent: 10, allowlist: [] });
      expect((await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body.status).toBe("active");
    });

    it("still lets on-call roll back what narrows exposure", async () => {
      const { key, id, version } = await liveFrom({ enabled: true, rolloutPercent: 5 });
      const res = await call(app.url, "POST", `/api/v1/rollouts/${id}/rollback`, {
        token: ROLE_TOKENS.oncall,
        body: { version, reason: "errors in checkout" },
      });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe("rolled_back");
      expect(await flagNow(key)).toEqual({ enabled: true, rolloutPercent: 5, allowlist: [] });
    });

    it("needs an engineer's explicit confirmWiden, answering 409 with before and after until then", async () => {
      const { key, id, version } = await liveFrom({ enabled: true, rolloutPercent: 100 });
      const before = await counts();
      const unconfirmed = await call(app.url, "POST", `/api/v1/rollouts/${id}/rollback`, {
        token: eng,
        body: { version, reason: "errors in checkout" },
      });
      expect(unconfirmed.status).toBe(409);
      expect(unconfirmed.body.error.message).toBe(
        "Rolling back would widen exposure from 10 % to 100 %; send confirmWiden: true to roll back anyway",
      );
      expect(unconfirmed.body.error.fields).toEqual({ confirmWiden: "required: rolling back widens exposure from 10 % to 100 %" });
      expect(unconfirmed.body.widening).toEqual({
        before: { enabled: true, rolloutPercent: 10, allowlist: [], rolloutSegments: [] },
        after: { enabled: true, rolloutPercent: 100, allowlist: [], rolloutSegments: [] },
      });
      expect(await counts()).toEqual(before);
      expect(await flagNow(key)).toEqual({ enabled: true, rolloutPercent: 10, allowlist: [] });

      const confirmed = await call(app.url, "POST", `/api/v1/rollouts/${id}/rollback`, {
        token: eng,
        body: { version, reason: "errors in checkout", confirmWiden: true },
      });
      expect(confirmed.status).toBe(200);
      expect(confirmed.body.status).toBe("rolled_back");
      expect(await flagNow(key)).toEqual({ enabled: true, rolloutPercent: 100, allowlist: [] });
      const audit = await call(app.url, "GET", `/api/v1/audit?target=${key}&action=rollout.rollback`, { token: eng });
      expect(audit.body.entries[0]).toMatchObject({ action: "rollout.rollback", after: { widened: true, flag: { rolloutPercent: 100 } } });
    });

    it("counts turning a disabled flag back on as widening", async () => {
      const { id, version } = await liveFrom({ enabled: true, rolloutPercent: 100 });
      const flagKey = (await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body.flagKey;
      // Turned off by hand (with an override, which pauses the rollout) while it was live.
      const flag = await call(app.url, "GET", `/api/v1/flags/${flagKey}`, { token: eng });
      const off = await call(app.url, "PATCH", `/api/v1/flags/${flagKey}/environments/production`, {
        token: eng,
        body: { version: flag.body.environments.production.version, enabled: false, override: { reason: "off for now" } },
      });
      expect(off.status).toBe(200);
      const current = (await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body;
      expect(current.version).toBeGreaterThan(version);
      const res = await call(app.url, "POST", `/api/v1/rollouts/${id}/rollback`, {
        token: ROLE_TOKENS.oncall,
        body: { version: current.version, reason: "errors in checkout" },
      });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toMatch(/^Rolling back would widen exposure from off to 100 %/);
    });

    it("a guardrail's roll back that would widen exposure kills the flag instead; one that narrows it rolls back", async () => {
      const wide = await liveFrom({ enabled: true, rolloutPercent: 100 });
      const action = await actOnBreach(
        t.db,
        "rollback",
        { flagKey: wide.key, environment: "production" },
        "error rate 9 % > 5 %",
        {},
        new Date(),
      );
      expect(action).toMatch(/^killed the flag instead of rolling back: rolling back would widen exposure from 10 % to 100 % \(incident /);
      const killed = (await call(app.url, "GET", `/api/v1/flags/${wide.key}`, { token: eng })).body.environments.production;
      expect(killed).toMatchObject({ killed: true, rolloutPercent: 10 });
      expect((await call(app.url, "GET", `/api/v1/rollouts/${wide.id}`, { token: eng })).body.status).not.toBe("rolled_back");

      const narrow = await liveFrom({ enabled: false, rolloutPercent: 0 });
      expect(await actOnBreach(t.db, "rollback", { flagKey: narrow.key, environment: "production" }, "error rate", {}, new Date())).toBe(
        "rolled the rollout back",
      );
      expect(await flagNow(narrow.key)).toEqual({ enabled: false, rolloutPercent: 0, allowlist: [] });
    });
  });

  it("20 concurrent advances with one version: exactly one wins, the rest get 409 with the current rollout", async () => {
    const key = await newFlag();
    const created = await call(app.url, "POST", "/api/v1/rollouts", {
      token: eng,
      body: { flagKey: key, environment: "staging", phases: quickPhases },
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        call(app.url, "POST", `/api/v1/rollouts/${created.body.id}/advance`, { token: eng, body: { version: 1 } }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.current).toMatchObject({ version: 2, currentPhase: 0 });
    const audit = await t.sql(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'rollout.advance' AND target_id LIKE $1`, [
      `${key}/%`,
    ]);
    expect(audit.rows[0].n).toBe(1);
  });

  it("10 product owners signing the same phase at once: exactly 10 forms", async () => {
    const key = await newFlag();
    const created = await call(app.url, "POST", "/api/v1/rollouts", {
      token: eng,
      body: { flagKey: key, environment: "production", phases: [{ name: "10 %", percent: 10, requiredApprovals: 3 }] },
    });
    const results = await Promise.all(
      POS.map((p) => call(app.url, "POST", `/api/v1/rollouts/${created.body.id}/phases/0/approvals`, approve(p.token, p.name))),
    );
    expect(results.map((r) => r.status)).toEqual(POS.map(() => 201));
    const rows = await t.sql(`SELECT count(*)::int AS n FROM approvals WHERE rollout_id = $1 AND superseded_by IS NULL`, [created.body.id]);
    expect(rows.rows[0].n).toBe(10);
    const view = (await call(app.url, "GET", `/api/v1/rollouts/${created.body.id}`, { token: eng })).body;
    expect(view.gates.find((g: { name: string }) => g.name === "approvals").ok).toBe(true);
  });

  it("judges success criteria from the rollups of the current phase: too few samples is red, then green, then red on errors", async () => {
    const key = await newFlag();
    const created = await call(app.url, "POST", "/api/v1/rollouts", {
      token: eng,
      body: {
        flagKey: key,
        environment: "production",
        phases: [
          {
            name: "10 %",
            percent: 10,
            criteria: { minSuccessRate: 0.95, maxErrorRate: 0.05, maxP95Ms: 200, minSamples: 50, windowSeconds: 600 },
          },
          { name: "100 %", percent: 100 },
        ],
      },
    });
    const id = created.body.id;
    const started = await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, { token: eng, body: { version: 1 } });
    expect(started.status).toBe(200);
    const send = async (n: number, outcome: "success" | "error", latencyMs: number) => {
      const events = Array.from({ length: n }, (_, i) => ({ flagKey: key, variant: "on", outcome, latencyMs, targetingKey: `u-${i}` }));
      expect((await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { events } })).status).toBe(202);
    };
    const gates = async () =>
      Object.fromEntries(
        (
          (await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body.gates as {
            name: string;
            ok: boolean;
            reason: string;
          }[]
        ).map((g) => [g.name, g]),
      );

    await send(20, "success", 40);
    let g = await gates();
    expect(g.samples).toMatchObject({ ok: false, reason: "20 requests in the last 10 min, fewer than the 50 needed to judge" });
    expect(g["success rate"]?.ok).toBe(false);
    expect(g["error rate"]?.ok).toBe(false);
    expect(g.latency?.ok).toBe(false);

    await send(80, "success", 40);
    g = await gates();
    expect(g.samples?.ok).toBe(true);
    expect(g["success rate"]).toMatchObject({ ok: true, reason: "success rate 100 % ≥ 95 % over 10 min, 100 requests" });
    expect(g["error rate"]).toMatchObject({ ok: true, reason: "error rate 0 % ≤ 5 % over 10 min, 100 requests" });
    expect(g.latency).toMatchObject({ ok: true, reason: "p95 ≤ 50 ms ≤ 200 ms over 10 min, 100 requests" });

    await send(10, "error", 900);
    g = await gates();
    expect(g["error rate"]).toMatchObject({ ok: false, reason: "error rate 9.1 % > 5 % over 10 min, 110 requests" });
    expect(g["success rate"]?.ok).toBe(false);
    expect(g.latency).toMatchObject({ ok: false, reason: "p95 ≤ 1,000 ms > 200 ms over 10 min, 110 requests" });
    const blocked = await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, { token: eng, body: { version: 2 } });
    expect(blocked.status).toBe(422);

    // An admin may override red gates with a written reason; it is recorded on the rollout.
    const noReason = await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, {
      token: ROLE_TOKENS.admin,
      body: { version: 2, override: true },
    });
    expect(noReason.status).toBe(400);
    // The override covers the red gates the admin saw, named: one red beside them is not overridden unseen.
    const red = Object.values(g)
      .filter((gate) => !gate.ok)
      .map((gate) => gate.name);
    expect(red.sort()).toEqual(["error rate", "evidence", "latency", "success rate"]);
    const partly = await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, {
      token: ROLE_TOKENS.admin,
      body: { version: 2, override: true, overrideGates: ["error rate"], reason: "errors are from a known bad client build" },
    });
    expect(partly.status).toBe(422);
    expect(partly.body.error.message).toMatch(/^Cannot advance: gates turned red since you chose to override: /);
    expect(partly.body.error.message).toContain(g.latency!.reason);
    expect(partly.body.error.message).not.toContain(g["error rate"]!.reason);
    expect((await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body).toMatchObject({ currentPhase: 0, version: 2 });
    const overridden = await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, {
      token: ROLE_TOKENS.admin,
      body: { version: 2, override: true, overrideGates: red, reason: "errors are from a known bad client build" },
    });
    expect(overridden.status).toBe(200);
    expect(overridden.body.overrides).toHaveLength(1);
    expect(overridden.body.overrides[0]).toMatchObject({ by: "admin-bot (token)", reason: "errors are from a known bad client build" });
  });

  it("announces each step to the environment's webhooks, from the same transaction as the step", async () => {
    const receiver = await startReceiver();
    try {
      await t.sql(`INSERT INTO webhooks (environment_key, name, url) VALUES ('staging', 'release channel', $1)`, [receiver.url("/slack")]);
      const key = await newFlag();
      const created = await call(app.url, "POST", "/api/v1/rollouts", {
        token: eng,
        body: {
          flagKey: key,
          environment: "staging",
          phases: [
            { name: "10 %", percent: 10, requiredApprovals: 1 },
            { name: "100 %", percent: 100 },
          ],
        },
      });
      const id = created.body.id;
      expect((await call(app.url, "POST", `/api/v1/rollouts/${id}/phases/0/approvals`, approve(po, "product_owner-bot"))).status).toBe(201);
      expect((await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, { token: eng, body: { version: 1 } })).status).toBe(200);
      // A refused step announces nothing.
      expect((await call(app.url, "POST", `/api/v1/rollouts/${id}/pause`, { token: eng, body: { version: 1 } })).status).toBe(409);
      expect((await call(app.url, "POST", `/api/v1/rollouts/${id}/pause`, { token: eng, body: { version: 2 } })).status).toBe(200);
      expect((await call(app.url, "POST", `/api/v1/rollouts/${id}/resume`, { token: eng, body: { version: 3 } })).status).toBe(200);
      expect(
        (
          await call(app.url, "POST", `/api/v1/rollouts/${id}/rollback`, {
            token: ROLE_TOKENS.oncall,
            body: { version: 4, reason: "latency" },
          })
        ).status,
      ).toBe(200);
      const kinds = [
        "approval.requested",
        "approval.signed",
        "rollout.advanced",
        "rollout.paused",
        "rollout.resumed",
        "rollout.rolled_back",
      ];
      const bodies = () =>
        receiver
          .received("/slack")
          .map(
            (r) =>
              JSON.parse(r.body) as { text: string; rollgate: { kind: string; flagKey: string; rolloutId: string; environment: string } },
          );
      await eventually(() => bodies().length >= kinds.length, 10_000, "all six webhooks delivered");
      expect(
        bodies()
          .map((b) => b.rollgate.kind)
          .sort(),
      ).toEqual([...kinds].sort());
      expect(bodies().find((b) => b.rollgate.kind === "rollout.rolled_back")).toMatchObject({
        text: `${key} in staging rolled back by oncall-bot (token): latency`,
        rollgate: { flagKey: key, rolloutId: id, environment: "staging" },
      });
    } finally {
      await receiver.close();
    }
  });

  it("the list reads each rollout as its own page does: one's approvals, ticks, editors, incidents and webhooks never show on another", async () => {
    const [a, b] = [await newFlag(), await newFlag()];
    const gate = (r: { gates: { name: string; ok: boolean }[] }, name: string) => r.gates.find((g) => g.name === name)?.ok;
    const hook = async (name: string, enabled = false) =>
      (
        await t.sql(
          `INSERT INTO webhooks (environment_key, name, url, enabled) VALUES ('staging', $1, 'https://hooks.example.com/x', $2) RETURNING id::text`,
          [name, enabled],
        )
      ).rows[0]!.id as string;
    const [kept, deleted] = [await hook(`kept-${a}`), await hook(`gone-${a}`)];
    const create = async (body: Record<string, unknown>) => {
      const res = await call(app.url, "POST", "/api/v1/rollouts", { token: eng, body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body as { id: string; version: number };
    };
    const tick = async (id: string, item: string, token: string) =>
      expect((await call(app.url, "POST", `/api/v1/rollouts/${id}/phases/0/checklist`, { token, body: { item, done: true } })).status).toBe(
        200,
      );

    // A: edited by the engineer-and-product-owner, one item ticked by them, one approval.
    const phasesA = [
      { name: "Internal", percent: 0, allowlist: ["qa-1"], requiredApprovals: 1, checklist: ["backup verified", "rollback tested"] },
      { name: "10 %", percent: 10 },
    ];
    const createdA = await create({ flagKey: a, environment: "production", phases: phasesA });
    const editedA = await call(app.url, "PATCH", `/api/v1/rollouts/${createdA.id}`, {
      token: ENG_PO,
      body: { version: createdA.version, phases: [phasesA[0], { name: "10 %", percent: 5 }] },
    });
    expect(editedA.status).toBe(200);
    await tick(createdA.id, "backup verified", ENG_PO);
    expect(
      (await call(app.url, "POST", `/api/v1/rollouts/${createdA.id}/phases/0/approvals`, approve(po, "product_owner-bot"))).status,
    ).toBe(201);
    // B: two webhooks named (one deleted since), ticked by the engineer, two approvals.
    const createdB = await create({
      flagKey: b,
      environment: "staging",
      phases: [{ name: "10 %", percent: 10, requiredApprovals: 2, checklist: ["backup verified", "monitoring in place"] }],
      notifyWebhookIds: [kept, deleted],
    });
    await t.sql("DELETE FROM webhooks WHERE id = $1", [deleted]);
    await tick(createdB.id, "monitoring in place", eng);
    for (const p of POS.slice(0, 2))
      expect((await call(app.url, "POST", `/api/v1/rollouts/${createdB.id}/phases/0/approvals`, approve(p.token, p.name))).status).toBe(
        201,
      );
    // C: nothing of its own, but its flag and environment have an open incident (B's has a resolved one).
    const createdC = await create({ flagKey: a, environment: "staging", phases: [{ name: "10 %", percent: 10 }] });
    await t.sql(
      `INSERT INTO incidents (flag_id, environment_key, status, title, resolved_at)
       SELECT id, 'staging', 'open', 'open one', NULL FROM flags WHERE key = $1
       UNION ALL SELECT id, 'staging', 'resolved', 'over', now() FROM flags WHERE key = $2`,
      [a, b],
    );

    const list = await call(app.url, "GET", "/api/v1/rollouts", { token: ROLE_TOKENS.viewer });
    expect(list.status).toBe(200);
    const listed = new Map((list.body.rollouts as { id: string }[]).map((r) => [r.id, r]));
    // A rollout's own read adds each phase's reach (lib/rollouts/phase-reach.ts), which the list leaves out.
    const own = async (id: string) => {
      const body = (await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: ROLE_TOKENS.viewer })).body;
      expect(body.phases.every((p: { reach?: string }) => typeof p.reach === "string")).toBe(true);
      return { ...body, phases: body.phases.map(({ reach, ...p }: { reach: string }) => (void reach, p)) };
    };
    const [A, B, C] = [await own(createdA.id), await own(createdB.id), await own(createdC.id)];
    // Drafts: nothing in them moves with the clock, so the list's copy is exactly the rollout's own.
    expect(listed.get(createdA.id)).toEqual(A);
    expect(listed.get(createdB.id)).toEqual(B);
    expect(listed.get(createdC.id)).toEqual(C);

    expect(A.planEditors).toEqual([editedA.body.lastEditedBy]);
    expect([B.planEditors, C.planEditors]).toEqual([[], []]);
    expect(A.phases[0].ticked).toEqual([{ item: "backup verified", by: "eng-po-bot", at: expect.any(String) }]);
    expect(B.phases[0].ticked).toEqual([{ item: "monitoring in place", by: "engineer-bot", at: expect.any(String) }]);
    expect(C.phases[0].ticked).toEqual([]);
    expect([A, B, C].map((r) => r.approvals.map((x: { signer: { name: string } }) => x.signer.name))).toEqual([
      ["product_owner-bot"],
      [POS[0]!.name, POS[1]!.name],
      [],
    ]);
    expect([A, B, C].map((r) => gate(r, "incidents"))).toEqual([true, true, false]);
    expect([A, B, C].map((r) => r.notifyWebhookIds)).toEqual([null, [kept], null]);

    // Every other rollout the list shows (earlier tests'), apart from what moves with the clock.
    const steady = ({ gates, metrics, phaseElapsedSeconds, ...rest }: Record<string, unknown>) => (
      void [gates, metrics, phaseElapsedSeconds],
      rest
    );
    for (const [id, r] of listed) expect(steady(r as Record<string, unknown>), id).toEqual(steady(await own(id)));
  });

  it("tells open dashboards over the live stream when a rollout, its approvals or its checklist change", async () => {
    const key = await newFlag();
    const created = await call(app.url, "POST", "/api/v1/rollouts", {
      token: eng,
      body: {
        flagKey: key,
        environment: "staging",
        phases: [{ name: "10 %", percent: 10, requiredApprovals: 1, checklist: ["backup verified"] }],
      },
    });
    const id = created.body.id as string;
    const controller = new AbortController();
    const res = await fetch(`${app.url}/api/v1/live`, {
      headers: { authorization: `Bearer ${ROLE_TOKENS.viewer}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = "";
    const rolloutEvents = () => text.split("\n\n").filter((e) => e.includes("event: rollout") && e.includes(id)).length;
    const pump = (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          text += new TextDecoder().decode(value);
        }
      } catch {
        // aborted
      }
    })();
    try {
      await eventually(() => text.includes("event: config"), 5000, "the stream is open");
      expect(
        (
          await call(app.url, "POST", `/api/v1/rollouts/${id}/phases/0/checklist`, {
            token: eng,
            body: { item: "backup verified", done: true },
          })
        ).status,
      ).toBe(200);
      await eventually(() => rolloutEvents() >= 1, 5000, "a rollout event after the checklist tick");
      expect((await call(app.url, "POST", `/api/v1/rollouts/${id}/phases/0/approvals`, approve(po, "product_owner-bot"))).status).toBe(201);
      await eventually(() => rolloutEvents() >= 2, 5000, "a rollout event after the approval");
      expect((await call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, { token: eng, body: { version: 1 } })).status).toBe(200);
      await eventually(() => rolloutEvents() >= 3, 5000, "a rollout event after the advance");
      // The event names the rollout and nothing else.
      const event = text.split("\n\n").find((e) => e.includes("event: rollout") && e.includes(id))!;
      expect(JSON.parse(event.split("data: ")[1]!)).toEqual({ id });
    } finally {
      controller.abort();
      await pump;
    }
  });
});
