// Issue 24: an engineer asks for a phase's approval, naming product owners or not; the named ones see
// it in their inbox, marked, with how long it has waited; the webhook says who asked whom; and each
// phase keeps an audited, immutable comment thread.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/eventually";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS } from "../support/http";
import { startReceiver } from "../support/webhook-receiver";

const eng = ROLE_TOKENS.engineer;
const po = ROLE_TOKENS.product_owner;
const PO2_TOKEN = "tok-po-0002";
const PO_EMAIL = "product_owner-bot@bootstrap.rollgate.local";
const BOTH_TOKEN = "tok-both-0001";
const { t, app } = setUpTestApp({
  bootstrapTokens: `${BOOTSTRAP},po-two:product_owner:${PO2_TOKEN},both-bot:engineer+product_owner:${BOTH_TOKEN}`,
});

let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
  await t.sql(`INSERT INTO webhooks (environment_key, name, url) VALUES ('production', 'approvals', $1)`, [receiver.url("/hook")]);
});
afterAll(async () => {
  await receiver?.close();
});

let seq = 0;
/** A live rollout at phase 0 whose phase 1 needs one approval. */
async function rolloutAwaitingApproval(eng = ROLE_TOKENS.engineer): Promise<{ id: string; key: string }> {
  const key = `ask-${process.pid}-${++seq}`;
  expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
  const created = await call(app.url, "POST", "/api/v1/rollouts", {
    token: eng,
    body: {
      flagKey: key,
      environment: "production",
      phases: [
        { name: "10 %", percent: 10, minSoakSeconds: 0 },
        { name: "50 %", percent: 50, minSoakSeconds: 0, requiredApprovals: 1 },
        { name: "100 %", percent: 100, minSoakSeconds: 0 },
      ],
    },
  });
  expect(created.status).toBe(201);
  const advanced = await call(app.url, "POST", `/api/v1/rollouts/${created.body.id}/advance`, { token: eng, body: { version: 1 } });
  expect(advanced.status).toBe(200);
  return { id: created.body.id as string, key };
}

const ask = (id: string, body: unknown, index = 1, token = eng) =>
  call(app.url, "POST", `/api/v1/rollouts/${id}/phases/${index}/approval-requests`, { token, body });
const userId = async (email: string) => (await t.sql(`SELECT id FROM users WHERE email = $1`, [email])).rows[0]!.id as string;
const requestRows = async (id: string) => (await t.sql(`SELECT * FROM approval_requests WHERE rollout_id = $1`, [id])).rows;
const inbox = async (token: string) =>
  (await call(app.url, "GET", "/api/v1/approvals/inbox", { token })).body.items as {
    rolloutId: string;
    phaseIndex: number;
    askedYou: boolean;
    waitingSince: string | null;
    requests: { requestedBy: { name: string }; productOwners: { email: string }[]; note: string | null }[];
  }[];
const hooks = (key: string) =>
  receiver
    .received("/hook")
    .map((r) => JSON.parse(r.body) as { text: string; rollgate: { kind: string; flagKey: string; fields: Record<string, string> } })
    .filter((b) => b.rollgate.flagKey === key && b.rollgate.kind === "approval.requested");

describe("asking for approval", () => {
  it("refuses bad input with a field-level message and records nothing", async () => {
    const { id } = await rolloutAwaitingApproval();
    const notAUser = await ask(id, { productOwners: ["nobody@example.com"] });
    expect(notAUser.status).toBe(400);
    expect(notAUser.body.error.fields).toEqual({ productOwners: "'nobody@example.com' is not a user" });
    const notAPo = await ask(id, { productOwners: ["engineer-bot@bootstrap.rollgate.local"] });
    expect(notAPo.status).toBe(400);
    expect(notAPo.body.error.fields).toEqual({ productOwners: "engineer-bot is not a product owner" });
    const badShape = await ask(id, { productOwners: "everyone", note: "x".repeat(2001) });
    expect(badShape.status).toBe(400);
    expect(Object.keys(badShape.body.error.fields).sort()).toEqual(["note", "productOwners"]);
    expect((await ask(id, { extra: true })).status).toBe(400);
    // Phase 0 has started, phase 2 needs no approval, phase 7 does not exist.
    expect((await ask(id, {}, 0)).status).toBe(409);
    expect((await ask(id, {}, 2)).status).toBe(409);
    expect((await ask(id, {}, 7)).status).toBe(404);
    expect(await requestRows(id)).toEqual([]);
  });

  it("refuses to ask a product owner who may not sign this rollout", async () => {
    const { id } = await rolloutAwaitingApproval(BOTH_TOKEN);
    const own = await ask(id, { productOwners: ["both-bot@bootstrap.rollgate.local"] });
    expect(own.status).toBe(400);
    expect(own.body.error.fields).toEqual({ productOwners: "both-bot requested this rollout or edited its plan, so cannot approve it" });
    expect(await requestRows(id)).toEqual([]);
  });

  it("only engineers may ask", async () => {
    const { id } = await rolloutAwaitingApproval();
    expect((await ask(id, {}, 1, ROLE_TOKENS.viewer)).status).toBe(403);
    expect((await ask(id, {}, 1, po)).status).toBe(403);
    expect((await ask(id, {})).status).toBe(201);
  });

  it("the named product owner gets it in the inbox, marked, and the webhook names them; a repeat is recorded and sent again", async () => {
    const { id, key } = await rolloutAwaitingApproval();
    const poId = await userId(PO_EMAIL);
    // One by id, one by email: both forms are accepted.
    const first = await ask(id, { productOwners: [poId, "PO-TWO@bootstrap.rollgate.local"], note: "Dashboards look fine" });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      phaseIndex: 1,
      requestedBy: { name: "engineer-bot" },
      productOwners: [
        { id: poId, email: PO_EMAIL },
        { email: "po-two@bootstrap.rollgate.local", name: "po-two" },
      ],
      note: "Dashboards look fine",
    });

    const mine = (await inbox(po)).find((i) => i.rolloutId === id);
    expect(mine).toMatchObject({ phaseIndex: 1, askedYou: true, waitingSince: first.body.requestedAt });
    expect(mine!.requests.map((r) => r.note)).toEqual(["Dashboards look fine"]);
    expect((await inbox(po)).findIndex((i) => i.rolloutId === id)).toBe(0);
    expect((await inbox(ROLE_TOKENS.viewer)).length).toBe(0);

    await eventually(() => hooks(key).some((h) => h.rollgate.fields.Note === "Dashboards look fine"), 15_000, "the webhook");
    const hook = hooks(key).find((h) => h.rollgate.fields.Note)!;
    expect(hook.rollgate.fields).toMatchObject({
      "Requested by": "engineer-bot",
      "Phase to approve": "50 % (2 of 3)",
      "Product owners": "product_owner-bot, po-two",
    });
    expect(hook.text).toContain("asked: product_owner-bot, po-two");

    expect((await ask(id, { note: "Reminder" })).status).toBe(201);
    expect((await requestRows(id)).length).toBe(2);
    await eventually(() => hooks(key).some((h) => h.rollgate.fields.Note === "Reminder"), 15_000, "the reminder's webhook");
    expect(hooks(key).find((h) => h.rollgate.fields.Note === "Reminder")!.rollgate.fields["Product owners"]).toBeUndefined();
    // Waiting since the first request, not the reminder.
    expect((await inbox(po)).find((i) => i.rolloutId === id)!.waitingSince).toBe(first.body.requestedAt);
    const audit = await t.sql(`SELECT actor, after FROM audit_log WHERE action = 'approval.requested' AND target_id LIKE $1 ORDER BY id`, [
      `%/${id}`,
    ]);
    expect(audit.rows.map((r) => r.after.productOwners)).toEqual([[PO_EMAIL, "po-two@bootstrap.rollgate.local"], []]);
  });

  it("a request that named someone else is in the inbox but not marked", async () => {
    const { id } = await rolloutAwaitingApproval();
    expect((await ask(id, { productOwners: ["po-two@bootstrap.rollgate.local"] })).status).toBe(201);
    expect((await inbox(po)).find((i) => i.rolloutId === id)!.askedYou).toBe(false);
    expect((await inbox(PO2_TOKEN)).find((i) => i.rolloutId === id)!.askedYou).toBe(true);
  });

  it("requests are never changed", async () => {
    const { id } = await rolloutAwaitingApproval();
    expect((await ask(id, { note: "first" })).status).toBe(201);
    await expect(t.sql(`UPDATE approval_requests SET note = 'rewritten' WHERE rollout_id = $1`, [id])).rejects.toThrow(/immutable/);
    expect((await requestRows(id))[0]!.note).toBe("first");
  });
});

describe("a phase's comment thread", () => {
  const comments = (id: string, index = 1, token = ROLE_TOKENS.viewer) =>
    call(app.url, "GET", `/api/v1/rollouts/${id}/phases/${index}/comments`, { token });
  const comment = (id: string, body: unknown, token: string, index = 1) =>
    call(app.url, "POST", `/api/v1/rollouts/${id}/phases/${index}/comments`, { token, body });

  it("keeps questions and answers in order, audited", async () => {
    const { id } = await rolloutAwaitingApproval();
    const q = await comment(id, { body: "Was the 10 % phase quiet on mobile?" }, po);
    expect(q.status).toBe(201);
    expect(q.body).toMatchObject({ phaseIndex: 1, author: { name: "product_owner-bot" }, body: "Was the 10 % phase quiet on mobile?" });
    expect((await comment(id, { body: "Yes:\nno errors above baseline" }, eng)).status).toBe(201);
    const thread = await comments(id);
    expect(thread.status).toBe(200);
    expect(thread.body.comments.map((c: { author: { name: string }; body: string }) => [c.author.name, c.body])).toEqual([
      ["product_owner-bot", "Was the 10 % phase quiet on mobile?"],
      ["engineer-bot", "Yes:\nno errors above baseline"],
    ]);
    expect((await comments(id, 0)).body.comments).toEqual([]);
    const audit = await t.sql(`SELECT after FROM audit_log WHERE action = 'rollout.comment' AND target_id LIKE $1 ORDER BY id`, [
      `%/${id}`,
    ]);
    expect(audit.rows.map((r) => r.after.comment)).toEqual([q.body.id, thread.body.comments[1].id]);
  });

  it("refuses viewers, empty or long bodies and unknown phases, writing nothing", async () => {
    const { id } = await rolloutAwaitingApproval();
    expect((await comment(id, { body: "hello" }, ROLE_TOKENS.viewer)).status).toBe(403);
    const empty = await comment(id, { body: "   " }, eng);
    expect(empty.status).toBe(400);
    expect(empty.body.error.fields).toEqual({ body: "write a comment" });
    const long = await comment(id, { body: "x".repeat(2001) }, eng);
    expect(long.body.error.fields).toEqual({ body: "at most 2000 characters" });
    expect((await comment(id, { body: "hello" }, eng, 9)).status).toBe(404);
    expect((await comments(id, 9)).status).toBe(404);
    expect((await comments(id)).body.comments).toEqual([]);
    expect((await t.sql(`SELECT count(*)::int AS n FROM phase_comments WHERE rollout_id = $1`, [id])).rows[0]!.n).toBe(0);
  });

  it("comments are immutable: the database refuses UPDATE and DELETE", async () => {
    const { id } = await rolloutAwaitingApproval();
    expect((await comment(id, { body: "original" }, ROLE_TOKENS.oncall)).status).toBe(201);
    await expect(t.sql(`UPDATE phase_comments SET body = 'edited' WHERE rollout_id = $1`, [id])).rejects.toThrow(/immutable/);
    await expect(t.sql(`DELETE FROM phase_comments WHERE rollout_id = $1`, [id])).rejects.toThrow(/immutable/);
    expect((await comments(id)).body.comments.map((c: { body: string }) => c.body)).toEqual(["original"]);
  });
});
