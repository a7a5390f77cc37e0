// Ending a credential on the dashboard (signing out, an admin disabling someone or revoking their API
// token, a password change that ends the other sessions) answers once this instance refuses it. The metrics endpoint remembers
// who a session belongs to for a few seconds (lib/auth/cached-identity.ts) and forgets on the
// rollgate_credentials NOTIFY; answered before that NOTIFY arrived, a signed-out session still read
// metrics there. Here the server's LISTEN session hears of commits only after a delay (a proxy holds
// what PostgreSQL sends it), which a loaded machine can also cause: without the actions' wait for this
// instance (lib/evaluation/served-here.ts) each test reads 200 where it expects 401.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../lib/auth/password";
import { startSession } from "../../lib/auth/sessions";
import { serverActionIds } from "../fuzz/support/fuzz-world";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS } from "../support/http";
import { startNotifyHoldProxy, type NotifyHoldProxy } from "../support/notify-hold-proxy";

/** How long the LISTEN session hears nothing after the action starts: well under the 1 s a write waits at most. */
const HOLD_MS = 300;
const PASSWORD = "credential-end-pw-1";

let proxy: NotifyHoldProxy;
// Registered before the fixture's hooks, so the proxy listens when the server is given its URL.
beforeAll(async () => {
  proxy = await startNotifyHoldProxy("rollgate_credentials");
});
afterAll(() => proxy.close());

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP, databaseUrl: (t) => proxy.via(t.url) });

beforeAll(async () => {
  expect((await call(app.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key: "credential-end" } })).status).toBe(201);
});

async function personWithSession(email: string, roles: string[]): Promise<{ id: string; cookie: string }> {
  const user = await t.db.user.create({ data: { email, name: email, roles, passwordHash: await hashPassword(PASSWORD) } });
  return { id: user.id, cookie: `rollgate_session=${(await startSession(t.db, user, { via: "password" })).secret}` };
}

/**
 * The metrics endpoint's answer to a session cookie (`rollgate_session=…`) or an API token (answered
 * by the server itself, with its identity cache).
 */
async function metricsStatus(credential: string): Promise<number> {
  const headers: Record<string, string> = credential.startsWith("rollgate_session=")
    ? { cookie: credential }
    : { authorization: `Bearer ${credential}` };
  const res = await fetch(`${app.url}/api/v1/flags/credential-end/metrics?environment=production`, { headers });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Sends `request` with the server's LISTEN session held back from just before it for HOLD_MS, then
 * asks the metrics endpoint about `credential`. An action that answered before its instance heard of its
 * commit gets that question answered while the notification is still held back.
 */
async function metricsAfterHeld(
  request: () => Promise<Response>,
  credential: string,
): Promise<{ answer: Response; body: string; metrics: number }> {
  proxy.hold();
  const timer = setTimeout(() => proxy.release(), HOLD_MS);
  try {
    const answer = await request();
    const body = await answer.text();
    return { answer, body, metrics: await metricsStatus(credential) };
  } finally {
    clearTimeout(timer);
    proxy.release();
  }
}

/** A server action as the dashboard's forms send it (useActionState: the previous state, then the form). */
function formAction(page: string, action: string, cookie: string, fields: Record<string, string | string[]>): () => Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) form.append(`_1_${name}`, v);
  // After the fields: the server reads the argument list as soon as it arrives.
  form.append("0", '[{"status":"idle"},"$K1"]');
  return () =>
    fetch(`${app.url}${page}`, {
      method: "POST",
      headers: { "next-action": serverActionIds().get(action)!, accept: "text/x-component", cookie, origin: app.url },
      body: form,
      redirect: "manual",
    });
}

describe("a credential ended on the dashboard is refused here once the action answers", () => {
  it("signing out: the session no longer reads metrics", async () => {
    const { cookie } = await personWithSession("leaving@example.com", ["viewer"]);
    expect(await metricsStatus(cookie)).toBe(200); // now remembered by the endpoint
    // signOutAction takes no arguments: an empty argument list, as the header's sign-out form sends it.
    const signOut = () =>
      fetch(`${app.url}/flags`, {
        method: "POST",
        headers: { "next-action": serverActionIds().get("signOutAction")!, "content-type": "text/plain", cookie, origin: app.url },
        body: "[]",
        redirect: "manual",
      });
    const { answer, metrics } = await metricsAfterHeld(signOut, cookie);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-action-redirect")).toMatch(/^\/sign-in/);
    expect(metrics).toBe(401);
    expect(
      await t.sql(`SELECT count(*)::int AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'leaving@example.com'`),
    ).toMatchObject({
      rows: [{ n: 0 }],
    });
  });

  it("an admin disabling someone: their session no longer reads metrics", async () => {
    const admin = await personWithSession("admin-disabling@example.com", ["admin"]);
    const someone = await personWithSession("disabled-one@example.com", ["viewer"]);
    expect(await metricsStatus(someone.cookie)).toBe(200);
    const disable = formAction("/admin", "updateUserAction", admin.cookie, { userId: someone.id, roles: ["viewer"], disabled: "on" });
    const { answer, body, metrics } = await metricsAfterHeld(disable, someone.cookie);
    expect(answer.status, body).toBe(200);
    expect(body).toContain('"status":"ok"');
    expect((await t.db.user.findUniqueOrThrow({ where: { id: someone.id } })).disabledAt).not.toBeNull();
    expect(metrics).toBe(401);
  });

  it("an admin revoking someone's API token on the Admin page: the token no longer reads metrics", async () => {
    const admin = await personWithSession("admin-revoking@example.com", ["admin"]);
    const someone = await personWithSession("token-holder@example.com", ["viewer"]);
    const created = await formAction("/admin", "createTokenAction", admin.cookie, { target: `user:${someone.id}`, name: "laptop" })();
    const token = /"token":"(rg_usr_[^"]+)"/.exec(await created.text())?.[1];
    expect(token, "the new token, shown once").toBeDefined();
    expect(await metricsStatus(token!)).toBe(200);
    const { id: tokenId } = await t.db.apiToken.findFirstOrThrow({ where: { name: "laptop", userId: someone.id } });
    const revoke = formAction("/admin", "revokeTokenAction", admin.cookie, { tokenId });
    const { answer, body, metrics } = await metricsAfterHeld(revoke, token!);
    expect(answer.status, body).toBe(200);
    expect(body).toContain('"status":"ok"');
    expect(metrics).toBe(401);
  });

  it("a password change: the person's other sessions no longer read metrics, the one that changed it does", async () => {
    const here = await personWithSession("changing@example.com", ["viewer"]);
    const elsewhere = `rollgate_session=${(await startSession(t.db, { id: here.id, email: "changing@example.com" }, { via: "password" })).secret}`;
    expect(await metricsStatus(elsewhere)).toBe(200);
    const change = formAction("/account", "changePasswordAction", here.cookie, {
      currentPassword: PASSWORD,
      newPassword: "credential-end-pw-2",
      confirmPassword: "credential-end-pw-2",
    });
    const { answer, body, metrics } = await metricsAfterHeld(change, elsewhere);
    expect(answer.status, body).toBe(200);
    expect(body).toContain('"status":"ok"');
    expect(metrics).toBe(401);
    expect(await metricsStatus(here.cookie)).toBe(200);
  });
});
