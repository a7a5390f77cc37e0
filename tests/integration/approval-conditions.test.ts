// Issue 24: a conditional approval's conditions are acknowledged by whoever advances, and a time
// among them (office hours, not before) is held by the gate, also against automatic progression.
import { describe, expect, it } from "vitest";
import { inOfficeHours } from "../../lib/domain/approval-conditions";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS } from "../support/http";

const eng = ROLE_TOKENS.engineer;
const po = ROLE_TOKENS.product_owner;
// A second product owner, whose conditions arrive after the engineer read the first one's.
const PO2 = "tok-po2-conditions";
const { app } = setUpTestApp({
  bootstrapTokens: `${BOOTSTRAP},po2-bot:product_owner:${PO2}`,
  env: { ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: "200" },
});

/** A zone where it is (or is not) office hours right now: the test does not depend on when it runs. */
const ZONES = [
  "UTC",
  "Asia/Tokyo",
  "America/New_York",
  "Europe/Berlin",
  "Australia/Sydney",
  "America/Los_Angeles",
  "Asia/Kolkata",
  "Pacific/Auckland",
];
const zoneWhere = (open: boolean) => ZONES.find((z) => inOfficeHours(new Date(), z) === open);

let seq = 0;
async function rolloutAwaitingPhase2(autoAdvance = false): Promise<string> {
  const key = `cond-${process.pid}-${++seq}`;
  expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
  const created = await call(app.url, "POST", "/api/v1/rollouts", {
    token: eng,
    body: {
      flagKey: key,
      environment: "production",
      autoAdvance,
      phases: [
        { name: "10 %", percent: 10, minSoakSeconds: 0 },
        { name: "50 %", percent: 50, minSoakSeconds: 0, requiredApprovals: 1 },
      ],
    },
  });
  expect(created.status).toBe(201);
  expect((await call(app.url, "POST", `/api/v1/rollouts/${created.body.id}/advance`, { token: eng, body: { version: 1 } })).status).toBe(
    200,
  );
  return created.body.id as string;
}

const sign = (id: string, extra: object) =>
  call(app.url, "POST", `/api/v1/rollouts/${id}/phases/1/approvals`, {
    token: po,
    body: {
      decision: "conditional",
      riskLevel: "low",
      reviewed: ["change"],
      signature: "product_owner-bot",
      conditions: "Only with support on call",
      ...extra,
    },
  });
const get = async (id: string) => (await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng })).body;
const advance = (id: string, body: object) => call(app.url, "POST", `/api/v1/rollouts/${id}/advance`, { token: eng, body });

describe("conditional approvals", () => {
  it("the conditions must be acknowledged to advance, and the advance then goes ahead", async () => {
    const id = await rolloutAwaitingPhase2();
    expect((await sign(id, {})).status).toBe(201);
    const before = await get(id);
    expect(before.gates.find((g: { name: string }) => g.name === "conditions")).toEqual({
      name: "conditions",
      ok: true,
      reason: "conditions to acknowledge when advancing: “Only with support on call” (product_owner-bot)",
    });
    const refused = await advance(id, { version: before.version });
    expect(refused.status).toBe(422);
    expect(refused.body.error.fields).toEqual({ acknowledgeConditions: "acknowledge the approval's conditions to advance" });
    expect((await get(id)).currentPhase).toBe(0);
    const done = await advance(id, { version: before.version, acknowledgeConditions: true });
    expect(done.status).toBe(200);
    expect(done.body.currentPhase).toBe(1);
  });

  it("an acknowledgement names the approvals read: conditions signed since are refused, not acknowledged unread", async () => {
    const id = await rolloutAwaitingPhase2();
    const first = await sign(id, {});
    expect(first.status).toBe(201);
    // The engineer opens Advance and reads the first conditions; a second product owner then adds theirs.
    const second = await call(app.url, "POST", `/api/v1/rollouts/${id}/phases/1/approvals`, {
      token: PO2,
      body: { decision: "conditional", riskLevel: "low", reviewed: ["change"], signature: "po2-bot", conditions: "Not during the sale" },
    });
    expect(second.status).toBe(201);
    const before = await get(id);
    const refused = await advance(id, { version: before.version, acknowledgeConditions: true, acknowledgedApprovals: [first.body.id] });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toBe("Cannot advance: conditions were added since you read them: “Not during the sale” (po2-bot)");
    expect(refused.body.error.fields).toEqual({
      acknowledgeConditions: "read the new conditions and acknowledge them again: “Not during the sale” (po2-bot)",
    });
    const bad = await advance(id, { version: before.version, acknowledgeConditions: true, acknowledgedApprovals: ["not-an-id"] });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.error.fields)).toEqual(["acknowledgedApprovals.0"]);
    expect(await get(id)).toMatchObject({ currentPhase: 0, version: before.version });

    const done = await advance(id, {
      version: before.version,
      acknowledgeConditions: true,
      acknowledgedApprovals: [first.body.id, second.body.id],
    });
    expect(done.status).toBe(200);
    expect(done.body.currentPhase).toBe(1);
  });

  it("outside the signer's office hours the gate is red and the advance refused", async () => {
    const closed = zoneWhere(false);
    expect(closed, "some zone is outside office hours at any moment").toBeDefined();
    const id = await rolloutAwaitingPhase2();
    expect((await sign(id, { officeHoursTimeZone: closed })).status).toBe(201);
    const view = await get(id);
    const gate = view.gates.find((g: { name: string }) => g.name === "conditions");
    expect(gate.ok).toBe(false);
    expect(gate.reason).toContain(`only during office hours (Mon–Fri 09:00–17:00 ${closed}; it is `);
    const refused = await advance(id, { version: view.version, acknowledgeConditions: true });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain("approval condition not met");
  });

  it("a time in the future holds the gate; time conditions need a conditional decision and valid values", async () => {
    const id = await rolloutAwaitingPhase2();
    const bad = await sign(id, { decision: "approved", notBefore: "2030-01-01T00:00:00Z", officeHoursTimeZone: "Mars/Olympus" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toMatchObject({
      notBefore: "only a conditional approval has time conditions",
      officeHoursTimeZone: "must be an IANA time zone, e.g. Europe/Berlin or UTC",
    });
    expect((await sign(id, { notBefore: "tomorrow" })).body.error.fields).toMatchObject({ notBefore: expect.stringContaining("ISO 8601") });
    expect((await sign(id, { notBefore: "2030-01-01T00:00:00Z" })).status).toBe(201);
    const gate = (await get(id)).gates.find((g: { name: string }) => g.name === "conditions");
    expect(gate).toEqual({
      name: "conditions",
      ok: false,
      reason: "approval condition not met: not before 2030-01-01 00:00 UTC (product_owner-bot)",
    });
    const approvals = (await get(id)).approvals as { notBefore: string | null }[];
    expect(approvals.at(-1)!.notBefore).toBe("2030-01-01T00:00:00.000Z");
  });

  it("automatic progression never acknowledges conditions for a person", async () => {
    const open = zoneWhere(true);
    const id = await rolloutAwaitingPhase2(true);
    expect((await sign(id, open ? { officeHoursTimeZone: open } : {})).status).toBe(201);
    // Every gate is green; several automatic passes go by (every 200 ms) and the phase stays.
    expect((await get(id)).gates.every((g: { ok: boolean }) => g.ok)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await get(id)).currentPhase).toBe(0);
  });
});
