// Issue 24, the communication plan: a rollout names which of its environment's webhooks hear of its
// steps. The edit is a plan edit (version, audit, void forms, "since approved"); a webhook of another
// environment is refused with nothing changed; delivery honours the plan, except for kill notices,
// which reach every enabled webhook; the approval form's review packet shows who is and is not told.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/eventually";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS } from "../support/http";
import { startReceiver } from "../support/webhook-receiver";

const eng = ROLE_TOKENS.engineer;
const po = ROLE_TOKENS.product_owner;
const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP, env: { ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: "3600000" } });

let receiver: Awaited<ReturnType<typeof startReceiver>>;
const hooks = { team: "", pager: "", staging: "" };
beforeAll(async () => {
  receiver = await startReceiver();
  const add = async (environment: string, name: string, path: string) =>
    (
      await t.sql(`INSERT INTO webhooks (environment_key, name, url) VALUES ($1, $2, $3) RETURNING id::text`, [
        environment,
        name,
        receiver.url(path),
      ])
    ).rows[0]!.id as string;
  hooks.team = await add("production", "Team channel", "/team");
  hooks.pager = await add("production", "Pager", "/pager");
  hooks.staging = await add("staging", "Staging channel", "/staging");
});
afterAll(async () => {
  await receiver?.close();
});

async function ok(method: string, path: string, body?: unknown, token = eng) {
  const res = await call(app.url, method, path, { token, body });
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

/** What the receiver got at `path` about this flag, as `rollgate.kind`s. */
const heard = (path: string, key: string) =>
  receiver
    .received(path)
    .map((r) => (JSON.parse(r.body) as { rollgate: { kind: string; flagKey: string } }).rollgate)
    .filter((r) => r.flagKey === key)
    .map((r) => r.kind);

/** The outbox rows for this flag per webhook, by kind: what was queued, delivered or not yet. */
async function queued(key: string): Promise<Record<keyof typeof hooks, string[]>> {
  const rows = await t.sql(
    `SELECT webhook_id::text AS webhook, kind FROM webhook_deliveries WHERE payload->'rollgate'->>'flagKey' = $1 ORDER BY created_at, kind`,
    [key],
  );
  const out: Record<keyof typeof hooks, string[]> = { team: [], pager: [], staging: [] };
  for (const r of rows.rows) {
    const name = (Object.keys(hooks) as (keyof typeof hooks)[]).find((n) => hooks[n] === r.webhook)!;
    out[name].push(r.kind as string);
  }
  return out;
}

const editAudits = async (key: string) =>
  (await t.sql(`SELECT before, after FROM audit_log WHERE action = 'rollout.edit' AND target_id LIKE $1 ORDER BY id`, [`${key}/%`])).rows;

let seq = 0;
async function liveRollout(extra: Record<string, unknown> = {}) {
  const key = `comm-${process.pid}-${++seq}`;
  await ok("POST", "/api/v1/flags", { key });
  const created = await ok("POST", "/api/v1/rollouts", {
    flagKey: key,
    environment: "production",
    phases: [
      { name: "10 %", percent: 10, minSoakSeconds: 0 },
      { name: "50 %", percent: 50, minSoakSeconds: 0, requiredApprovals: 1 },
      { name: "100 %", percent: 100, minSoakSeconds: 0 },
    ],
    ...extra,
  });
  const started = await ok("POST", `/api/v1/rollouts/${created.id}/advance`, { version: created.version });
  return { key, rollout: started as { id: string; version: number; planVersion: number; notifyWebhookIds: string[] | null } };
}

const sign = (id: string) =>
  ok(
    "POST",
    `/api/v1/rollouts/${id}/phases/1/approvals`,
    { decision: "approved", riskLevel: "low", reviewed: ["communication plan"], signature: "product_owner-bot" },
    po,
  );

describe("the communication plan", () => {
  it("is a plan edit: persisted, audited, new plan version, shown on the review; delivery follows it, kill notices go to all", async () => {
    const { key, rollout } = await liveRollout();
    expect(rollout.notifyWebhookIds).toBeNull();
    await sign(rollout.id);
    // By default every enabled webhook hears of the steps.
    expect(await queued(key)).toEqual({
      team: ["approval.requested", "rollout.advanced", "approval.signed"],
      pager: ["approval.requested", "rollout.advanced", "approval.signed"],
      staging: [],
    });

    const before = await ok("GET", `/api/v1/rollouts/${rollout.id}`);
    const edited = await ok("PATCH", `/api/v1/rollouts/${rollout.id}`, { version: before.version, notifyWebhookIds: [hooks.team] });
    expect(edited).toMatchObject({ notifyWebhookIds: [hooks.team], planVersion: before.planVersion + 1, version: before.version + 1 });
    expect((await ok("GET", `/api/v1/rollouts/${rollout.id}`)).notifyWebhookIds).toEqual([hooks.team]);
    // Like any plan edit, it voids the form signed for the phase to come.
    expect(edited.approvals.map((a: { state: string }) => a.state)).toEqual(["void"]);
    const [audit] = await editAudits(key);
    expect(audit.before).toMatchObject({ planVersion: before.planVersion, notifyWebhookIds: null });
    expect(audit.after).toMatchObject({ planVersion: before.planVersion + 1, notifyWebhookIds: [hooks.team], voidedApprovals: 1 });
    // The same list again changes nothing.
    const same = await ok("PATCH", `/api/v1/rollouts/${rollout.id}`, {
      version: edited.version,
      notifyWebhookIds: [hooks.team, hooks.team],
    });
    expect(same.version).toBe(edited.version);

    // The approval form's packet: who is told, who is not, at which steps, and what changed since approval.
    const packet = await ok("GET", `/api/v1/rollouts/${rollout.id}/phases/1/review`, undefined, po);
    expect(packet.communication).toMatchObject({
      notifyWebhookIds: [hooks.team],
      webhooks: [
        { id: hooks.pager, name: "Pager", host: expect.stringMatching(/^127\.0\.0\.1:\d+$/), enabled: true, notified: false },
        { id: hooks.team, name: "Team channel", enabled: true, notified: true },
      ],
      stepKinds: expect.arrayContaining(["approval.requested", "rollout.advanced", "rollout.rolled_back"]),
      safetyKinds: ["flag.killed", "flag.restored", "guardrail.breached"],
    });
    expect(packet.change.sinceApproved).toEqual({
      planVersion: before.planVersion,
      changes: ["Communication plan: every enabled webhook → “Team channel”"],
    });

    // Signed again and advanced: the steps reach the team channel only, over real HTTP.
    await sign(rollout.id);
    const current = await ok("GET", `/api/v1/rollouts/${rollout.id}`);
    await ok("POST", `/api/v1/rollouts/${rollout.id}/advance`, { version: current.version });
    await eventually(
      () => heard("/team", key).filter((k) => k === "rollout.advanced").length === 2,
      10_000,
      "advance delivered to the team",
    );
    const afterEdit = await queued(key);
    expect(afterEdit.team.slice(3)).toEqual(["approval.requested", "approval.signed", "rollout.advanced"]);
    expect(afterEdit.pager).toEqual(["approval.requested", "rollout.advanced", "approval.signed"]);

    // A kill concerns whoever is on call: every enabled webhook hears it, the plan notwithstanding.
    await ok("POST", `/api/v1/flags/${key}/environments/production/kill`, { reason: "checkout errors" }, ROLE_TOKENS.oncall);
    await eventually(() => heard("/pager", key).includes("flag.killed"), 10_000, "kill delivered to the pager");
    expect(heard("/team", key)).toContain("flag.killed");
    expect(heard("/staging", key)).toEqual([]);
    expect(heard("/pager", key).filter((k) => k.startsWith("rollout.") || k.startsWith("approval."))).toHaveLength(3);
  });

  it("refuses a webhook of another environment or no webhook at all with 422 naming the field, and changes nothing", async () => {
    const { key, rollout } = await liveRollout();
    const rowBefore = (await t.sql(`SELECT * FROM rollouts WHERE id = $1`, [rollout.id])).rows[0];
    const foreign = await call(app.url, "PATCH", `/api/v1/rollouts/${rollout.id}`, {
      token: eng,
      body: { version: rollout.version, notifyWebhookIds: [hooks.team, hooks.staging] },
    });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error.fields).toEqual({ notifyWebhookIds: `'${hooks.staging}' is a webhook of staging, not of production` });
    const unknown = await call(app.url, "PATCH", `/api/v1/rollouts/${rollout.id}`, {
      token: eng,
      body: { version: rollout.version, notifyWebhookIds: ["00000000-0000-4000-8000-000000000000"] },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.fields).toEqual({ notifyWebhookIds: "'00000000-0000-4000-8000-000000000000' is not a webhook" });
    const malformed = await call(app.url, "PATCH", `/api/v1/rollouts/${rollout.id}`, {
      token: eng,
      body: { version: rollout.version, notifyWebhookIds: ["team"] },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.fields).toEqual({ "notifyWebhookIds.0": "must be a webhook id" });
    expect((await t.sql(`SELECT * FROM rollouts WHERE id = $1`, [rollout.id])).rows[0]).toEqual(rowBefore);
    expect(await editAudits(key)).toEqual([]);

    // On create too; an empty list is a plan that tells nobody of the steps.
    const refused = await call(app.url, "POST", "/api/v1/rollouts", {
      token: eng,
      body: { flagKey: key, environment: "staging", phases: [{ name: "all", percent: 100 }], notifyWebhookIds: [hooks.team] },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.fields).toEqual({ notifyWebhookIds: `'${hooks.team}' is a webhook of production, not of staging` });
    const silent = await ok("POST", "/api/v1/rollouts", {
      flagKey: key,
      environment: "staging",
      phases: [{ name: "all", percent: 100 }],
      notifyWebhookIds: [],
    });
    expect(silent.notifyWebhookIds).toEqual([]);
    await ok("POST", `/api/v1/rollouts/${silent.id}/advance`, { version: silent.version });
    expect((await queued(key)).staging).toEqual([]);
  });
});
