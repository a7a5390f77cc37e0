// Environments through the API: anyone signed in lists them; an admin adds one, every flag gets a
// disabled state there at once, and a service with an SDK token for it evaluates flags there.
import { describe, expect, it } from "vitest";
import { applyBootstrapTokens } from "../../lib/auth/bootstrap-tokens";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS } from "../support/http";

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

describe("the environments API", () => {
  it("lists the environments in the dashboard's order to any user, and refuses without a token", async () => {
    const res = await call(app.url, "GET", "/api/v1/environments", { token: ROLE_TOKENS.viewer });
    expect(res.status).toBe(200);
    expect(res.body.environments).toEqual([
      { key: "staging", name: "Staging", guarded: false, createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) },
      { key: "production", name: "Production", guarded: true, createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) },
    ]);
    expect((await call(app.url, "GET", "/api/v1/environments")).status).toBe(401);
  });

  it("lets an admin add one: every flag is off there, it is listed last, audited, and served to its SDK tokens", async () => {
    await call(app.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key: "env-flag" } });
    const created = await call(app.url, "POST", "/api/v1/environments", { token: ROLE_TOKENS.admin, body: { key: "qa", name: "QA" } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ key: "qa", name: "QA" });

    const listed = await call(app.url, "GET", "/api/v1/environments", { token: ROLE_TOKENS.viewer });
    expect(listed.body.environments.map((e: { key: string }) => e.key)).toEqual(["staging", "production", "qa"]);
    const flag = await call(app.url, "GET", "/api/v1/flags/env-flag", { token: ROLE_TOKENS.viewer });
    expect(flag.body.environments.qa).toMatchObject({ enabled: false, killed: false, rolloutPercent: 0 });
    const { rows } = await t.sql(`SELECT actor, after FROM audit_log WHERE action = 'environment.create'`);
    expect(rows).toEqual([{ actor: expect.stringContaining("admin"), after: { key: "qa", name: "QA" } }]);

    // A service in the new environment, without a restart of the server.
    await applyBootstrapTokens(t.db, [{ kind: "sdk", environment: "qa", token: "rg_sdk_qa_environment_test" }]);
    const evaluated = await fetch(`${app.url}/ofrep/v1/evaluate/flags/env-flag`, {
      method: "POST",
      headers: { authorization: "Bearer rg_sdk_qa_environment_test", "content-type": "application/json" },
      body: JSON.stringify({ context: { targetingKey: "user-1" } }),
    });
    expect(evaluated.status).toBe(200);
    expect(await evaluated.json()).toMatchObject({ key: "env-flag", value: false, reason: "DISABLED" });
  });

  it("refuses a taken key (409), a malformed one (400) and anyone but an admin (403), changing nothing", async () => {
    const before = await call(app.url, "GET", "/api/v1/environments", { token: ROLE_TOKENS.viewer });
    const cases: [string, unknown, number, RegExp][] = [
      [ROLE_TOKENS.admin, { key: "production", name: "Again" }, 409, /already exists/],
      [ROLE_TOKENS.admin, { key: "Prod", name: "Prod" }, 400, /lowercase letters/],
      [ROLE_TOKENS.admin, { key: "a".repeat(41), name: "Long" }, 400, /lowercase letters/],
      [ROLE_TOKENS.admin, { key: "dev", name: "" }, 400, /enter a name/],
      [ROLE_TOKENS.admin, { key: "dev", name: "Dev", sortOrder: 1 }, 400, /./],
      [ROLE_TOKENS.engineer, { key: "dev", name: "Dev" }, 403, /admin/],
    ];
    for (const [token, body, status, message] of cases) {
      const res = await call(app.url, "POST", "/api/v1/environments", { token, body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(JSON.stringify(res.body.error), JSON.stringify(body)).toMatch(message);
    }
    const fields = async (body: unknown) =>
      (await call(app.url, "POST", "/api/v1/environments", { token: ROLE_TOKENS.admin, body })).body.error.fields;
    expect(await fields({ key: "production", name: "Again" })).toEqual({ key: "already exists" });
    expect(Object.keys(await fields({ key: "Prod", name: "Prod" }))).toEqual(["key"]);
    expect(Object.keys(await fields({ key: "dev", name: "" }))).toEqual(["name"]);
    expect((await call(app.url, "GET", "/api/v1/environments", { token: ROLE_TOKENS.viewer })).body).toEqual(before.body);
  });

  it("ten admins adding the same environment at once: exactly one is created, the others get 409", async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        call(app.url, "POST", "/api/v1/environments", { token: ROLE_TOKENS.admin, body: { key: "canary", name: "Canary" } }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    const { rows } = await t.sql(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'environment.create' AND target_id = 'canary'`);
    expect(rows[0].n).toBe(1);
  });
});
