// `npm run user:create`: a first admin for a deployment without demo data, created at the command line
// with the same environment as `npm start`, who can then sign in and act as an admin.
import { describe, expect, it } from "vitest";
import { signIn } from "../../lib/auth/sessions";
import { setUpTestApp } from "../support/fixture";
import { asAppRole } from "../support/app-role";
import { runCli } from "../support/cli";

const { t, app } = setUpTestApp();

function userCreate(args: string[], stdin?: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: asAppRole(t.url), DATABASE_MIGRATION_URL: t.url, ROLLGATE_DEMO: "off" };
  return runCli("user-create", args, { env, input: stdin });
}

describe("npm run user:create", () => {
  it("creates an admin with a generated password printed once, audited as the command line; the admin signs in to the Admin page", async () => {
    const run = userCreate(["--email", "Ops@Example.com", "--name", "Ops Lead", "--roles", "admin"]);
    expect(run.status, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toContain("created ops@example.com (Ops Lead) with roles admin");
    const password = /password \(shown only now\): (\S+)/.exec(run.stdout)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);

    const [audit] = (
      await t.sql(`SELECT actor, actor_id, action, target_id, after FROM audit_log WHERE action = 'user.create' ORDER BY id DESC LIMIT 1`)
    ).rows as { actor: string; actor_id: string | null; target_id: string; after: { roles: string[] } }[];
    expect(audit).toMatchObject({ actor: "command line (npm run user:create)", actor_id: null, target_id: "ops@example.com" });
    expect(audit!.after.roles).toEqual(["admin"]);

    const session = await signIn(t.db, { email: "ops@example.com", password: password! });
    // Where an admin creates the other users (and gives roles, their own included).
    const admin = await fetch(`${app.url}/admin`, { headers: { cookie: `rollgate_session=${session.secret}` }, redirect: "manual" });
    expect(admin.status).toBe(200);
    expect(await admin.text()).toContain("ops@example.com");
  });

  it("takes the password from standard input with --password-stdin, and several roles", async () => {
    const run = userCreate(
      ["--email", "eng@example.com", "--name", "Eng", "--roles", "engineer+oncall", "--password-stdin"],
      "a long enough secret\n",
    );
    expect(run.status, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).not.toContain("password (shown only now)");
    expect((await signIn(t.db, { email: "eng@example.com", password: "a long enough secret" })).secret).toBeTruthy();
    const [user] = (await t.sql(`SELECT roles FROM users WHERE email = 'eng@example.com'`)).rows as { roles: string[] }[];
    expect(user!.roles).toEqual(["engineer", "oncall"]);
    const session = await signIn(t.db, { email: "eng@example.com", password: "a long enough secret" });
    const created = await fetch(`${app.url}/api/v1/flags`, {
      method: "POST",
      headers: { cookie: `rollgate_session=${session.secret}`, origin: app.url, "content-type": "application/json" },
      body: JSON.stringify({ key: "first-engineer-flag" }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
  });

  it("refuses with exit code 1 and one line: an existing email, an unknown role, a missing option", () => {
    const again = userCreate(["--email", "ops@example.com", "--name", "Again", "--roles", "admin"]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("A user with email ops@example.com already exists");
    const badRole = userCreate(["--email", "x@example.com", "--name", "X", "--roles", "root"]);
    expect(badRole.status).toBe(1);
    expect(badRole.stderr).toMatch(/roles\.0: roles are viewer, /);
    const missing = userCreate(["--name", "X", "--roles", "admin"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/email: enter a valid email/);
    for (const r of [again, badRole, missing]) expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
