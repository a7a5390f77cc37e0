// Users through the API, for provisioning: an admin adds a person who can then sign in, changes their
// roles (which apply to their next request), disables them (signed out, tokens refused), and can never
// leave the system without an active admin, even with two demotions at once.
import { describe, expect, it } from "vitest";
import { signIn } from "../../lib/auth/sessions";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS } from "../support/http";

const admin = ROLE_TOKENS.admin;
const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

async function makeUser(email: string, roles: string[]) {
  const res = await call(app.url, "POST", "/api/v1/users", {
    token: admin,
    body: { email, name: email.split("@")[0], roles, password: "correct horse" },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; email: string; roles: string[]; disabled: boolean };
}

describe("the users API", () => {
  it("adds a user who signs in with the password given; the audit entry holds no password", async () => {
    const made = await makeUser("Dana@Example.com", ["engineer", "engineer"]);
    expect(made).toMatchObject({ email: "dana@example.com", name: "Dana", roles: ["engineer"], isService: false, disabled: false });
    const session = await signIn(t.db, { email: "dana@example.com", password: "correct horse" });
    const flags = await fetch(`${app.url}/api/v1/flags`, { headers: { cookie: `rollgate_session=${session.secret}` } });
    expect(flags.status).toBe(200);
    const { rows } = await t.sql(`SELECT after FROM audit_log WHERE action = 'user.create' AND target_id = 'dana@example.com'`);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain("correct horse");
    const listed = await call(app.url, "GET", "/api/v1/users", { token: admin });
    expect((listed.body.users as { email: string }[]).map((u) => u.email)).toContain("dana@example.com");
    expect(JSON.stringify(listed.body)).not.toMatch(/password|scrypt/i);
  });

  it("changes roles alone or disabled alone, keeping the other; disabling signs out and stops tokens", async () => {
    const user = await makeUser("erin@example.com", ["viewer"]);
    const made = await call(app.url, "POST", "/api/v1/tokens", { token: admin, body: { kind: "user", name: "erin's", userId: user.id } });
    const token = made.body.token as string;
    expect((await call(app.url, "POST", "/api/v1/flags", { token, body: { key: "erin-flag" } })).status).toBe(403);

    const promoted = await call(app.url, "PATCH", `/api/v1/users/${user.id}`, { token: admin, body: { roles: ["engineer"] } });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ roles: ["engineer"], disabled: false });
    expect((await call(app.url, "POST", "/api/v1/flags", { token, body: { key: "erin-flag" } })).status).toBe(201);

    const session = await signIn(t.db, { email: "erin@example.com", password: "correct horse" });
    const disabled = await call(app.url, "PATCH", `/api/v1/users/${user.id}`, { token: admin, body: { disabled: true } });
    expect(disabled.body).toMatchObject({ roles: ["engineer"], disabled: true });
    expect((await call(app.url, "GET", "/api/v1/flags", { token })).status).toBe(401);
    const bySession = await fetch(`${app.url}/api/v1/flags`, { headers: { cookie: `rollgate_session=${session.secret}` } });
    expect(bySession.status).toBe(401);
    // A role change while disabled keeps the user disabled.
    const regranted = await call(app.url, "PATCH", `/api/v1/users/${user.id}`, { token: admin, body: { roles: ["engineer", "oncall"] } });
    expect(regranted.body).toMatchObject({ roles: ["engineer", "oncall"], disabled: true });
    expect((await call(app.url, "GET", "/api/v1/flags", { token })).status).toBe(401);
    const enabled = await call(app.url, "PATCH", `/api/v1/users/${user.id}`, { token: admin, body: { disabled: false } });
    expect(enabled.body).toMatchObject({ roles: ["engineer", "oncall"], disabled: false });
    expect((await call(app.url, "GET", "/api/v1/flags", { token })).status).toBe(200);
  });

  it("pages the list by cursor: every user exactly once, in the list's order, whatever the page size", async () => {
    for (const email of ["pg-c@example.com", "pg-a@example.com", "pg-b@example.com", "pg-e@example.com", "pg-d@example.com"])
      await makeUser(email, ["viewer"]);
    const whole = await call(app.url, "GET", "/api/v1/users?limit=500", { token: admin });
    expect(whole.status).toBe(200);
    expect(whole.body.next).toBeNull();
    const order = (whole.body.users as { email: string }[]).map((u) => u.email);
    // People before service accounts (the bootstrap bots), each by email.
    expect(order.length).toBeGreaterThanOrEqual(10);
    const { rows } = await t.sql(`SELECT email FROM users ORDER BY is_service, email`);
    expect(order).toEqual(rows.map((r) => r.email));
    for (const limit of [1, 3, 7]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const path: string = `/api/v1/users?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const res = await call(app.url, "GET", path, { token: admin });
        expect(res.status, path).toBe(200);
        expect(res.body.users.length).toBeLessThanOrEqual(limit);
        seen.push(...(res.body.users as { email: string }[]).map((u) => u.email));
        cursor = res.body.next;
        pages++;
      } while (cursor);
      expect([limit, seen]).toEqual([limit, order]);
      expect(pages).toBe(Math.ceil(order.length / limit));
    }
    const tokenCursor = (await call(app.url, "GET", "/api/v1/tokens?limit=1", { token: admin })).body.next as string;
    for (const [query, field] of [
      ["limit=0", "limit"],
      ["limit=501", "limit"],
      ["limit=two", "limit"],
      ["cursor=garbage", "cursor"],
      [`cursor=${encodeURIComponent(tokenCursor)}`, "cursor"],
      ["cursor=" + "x".repeat(700), "cursor"],
      // An unknown parameter is refused as every route refuses an unknown field, under "body".
      ["sort=email", "body"],
    ]) {
      const res = await call(app.url, "GET", `/api/v1/users?${query}`, { token: admin });
      expect([query, res.status, Object.keys(res.body.error?.fields ?? {})]).toEqual([query, 400, [field]]);
    }
  });

  it("refuses bad input with the field named, anyone but an admin, and ids that name no user, changing nothing", async () => {
    const count = async () => (await t.sql(`SELECT count(*)::int AS n FROM users`)).rows[0].n as number;
    const before = await count();
    const invalid: [unknown, string][] = [
      [{ email: "not an email", name: "x", roles: ["viewer"], password: "long enough" }, "email"],
      [{ email: "a@example.com", name: "x", roles: ["root"], password: "long enough" }, "roles.0"],
      [{ email: "a@example.com", name: "x", roles: [], password: "long enough" }, "roles"],
      [{ email: "a@example.com", name: "x", roles: ["viewer"], password: "short" }, "password"],
      [{ email: "a@example.com", name: "", roles: ["viewer"], password: "long enough" }, "name"],
    ];
    const viewer = await t.sql(`SELECT id FROM users WHERE name = 'viewer-bot'`);
    for (const [body, field] of invalid) {
      const res = await call(app.url, "POST", "/api/v1/users", { token: admin, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(res.body.error.fields ?? {}), JSON.stringify(body)).toContain(field);
    }
    const taken = await call(app.url, "POST", "/api/v1/users", {
      token: admin,
      body: { email: "dana@example.com", name: "Again", roles: ["viewer"], password: "long enough" },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.fields).toEqual({ email: "already exists" });
    const empty = await call(app.url, "PATCH", `/api/v1/users/${viewer.rows[0].id}`, { token: admin, body: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.error.fields.roles).toMatch(/roles, disabled or both/);
    for (const role of ["engineer", "oncall", "product_owner", "viewer"] as const) {
      const token = ROLE_TOKENS[role];
      expect((await call(app.url, "GET", "/api/v1/users", { token })).status, role).toBe(403);
      const body = { email: "b@example.com", name: "x", roles: ["admin"], password: "long enough" };
      expect((await call(app.url, "POST", "/api/v1/users", { token, body })).status, role).toBe(403);
      expect((await call(app.url, "PATCH", `/api/v1/users/${viewer.rows[0].id}`, { token, body: { roles: ["admin"] } })).status, role).toBe(
        403,
      );
    }
    for (const id of ["00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
      expect((await call(app.url, "PATCH", `/api/v1/users/${id}`, { token: admin, body: { disabled: true } })).status, id).toBe(404);
    }
    expect(await count()).toBe(before);
  });

  // Last: it may leave the bootstrap admin a viewer.
  it("never leaves no active admin: the last one's demotion is refused, and of two admins demoted at once one stays", async () => {
    const { rows } = await t.sql(`SELECT id FROM users WHERE 'admin' = ANY(roles) AND disabled_at IS NULL ORDER BY email`);
    const second = await makeUser("second-admin@example.com", ["admin"]);
    const admins = [...rows.map((r) => r.id as string), second.id];
    expect(admins.length).toBe(2);
    const results = await Promise.all(
      admins.map((id) => call(app.url, "PATCH", `/api/v1/users/${id}`, { token: admin, body: { roles: ["viewer"] } })),
    );
    // The bootstrap admin's own token acts: if its user is demoted first, the second call is a viewer's (403).
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect([
      [200, 403],
      [200, 422],
    ]).toContainEqual(statuses);
    const active = await t.sql(`SELECT count(*)::int AS n FROM users WHERE 'admin' = ANY(roles) AND disabled_at IS NULL`);
    expect(active.rows[0].n).toBe(1);
    const refused = results.find((r) => r.status === 422);
    if (refused) expect(refused.body.error.fields.roles).toMatch(/last active admin/);
  });
});
