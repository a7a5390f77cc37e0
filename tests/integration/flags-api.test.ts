import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { ROLES, type Role } from "../../lib/auth/roles";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { hashPassword } from "../../lib/auth/password";
import { signIn } from "../../lib/auth/sessions";

const eng = ROLE_TOKENS.engineer;

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

let seq = 0;
const uniqueKey = (prefix: string) => `${prefix}-${process.pid}-${++seq}`;

async function createFlag(key: string) {
  const res = await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key, description: "test" } });
  expect(res.status).toBe(201);
  return res.body;
}

async function counts() {
  const r = await t.sql(
    "SELECT (SELECT count(*) FROM flags)::int AS flags, (SELECT count(*) FROM audit_log)::int AS audit, (SELECT coalesce(sum(version),0) FROM flag_states)::int AS versions",
  );
  return r.rows[0] as { flags: number; audit: number; versions: number };
}

describe("flags API", () => {
  it("creates a flag with a disabled state in every environment", async () => {
    const key = uniqueKey("create");
    const flag = await createFlag(key);
    expect(flag.key).toBe(key);
    expect(Object.keys(flag.environments)).toEqual(["staging", "production"]);
    for (const state of Object.values(flag.environments)) {
      expect(state).toMatchObject({ enabled: false, rolloutPercent: 0, allowlist: [], killed: false, version: 1 });
    }
    const again = await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } });
    expect(again.status).toBe(409);
    expect(again.body.error.fields.key).toBe("already exists");

    const got = await call(app.url, "GET", `/api/v1/flags/${key}`, { token: ROLE_TOKENS.viewer });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(flag);
    expect((await call(app.url, "GET", "/api/v1/flags/does-not-exist", { token: eng })).status).toBe(404);
  });

  it("patches state with the current version, bumps the version, and audits before/after", async () => {
    const key = uniqueKey("patch");
    await createFlag(key);
    const res = await call(app.url, "PATCH", `/api/v1/flags/${key}/environments/production`, {
      token: eng,
      body: { version: 1, enabled: true, rolloutPercent: 10, allowlist: ["qa-1", "qa-1", "qa-2"] },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ enabled: true, rolloutPercent: 10, allowlist: ["qa-1", "qa-2"], killed: false, version: 2 });

    const stale = await call(app.url, "PATCH", `/api/v1/flags/${key}/environments/production`, {
      token: eng,
      body: { version: 1, rolloutPercent: 50 },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("VERSION_CONFLICT");
    expect(stale.body.current).toMatchObject({ rolloutPercent: 10, version: 2 });

    const audit = await call(app.url, "GET", `/api/v1/audit?target=${key}&limit=10`, { token: ROLE_TOKENS.viewer });
    expect(audit.status).toBe(200);
    const [update, create] = audit.body.entries;
    expect(update).toMatchObject({ action: "flag_state.update", actor: "engineer-bot (token)", target: `flag_state:${key}/production` });
    expect(update.before).toMatchObject({ rolloutPercent: 0, version: 1 });
    expect(update.after).toMatchObject({ rolloutPercent: 10, version: 2 });
    expect(update.prevHash).toMatch(/^[0-9a-f]{64}$/);
    expect(create).toMatchObject({ action: "flag.create", target: `flag:${key}` });

    const filtered = await call(app.url, "GET", `/api/v1/audit?target=${key}&action=flag_state&actor=ENGINEER-bot`, {
      token: ROLE_TOKENS.viewer,
    });
    expect(filtered.body.entries.map((e: { action: string }) => e.action)).toEqual(["flag_state.update"]);
    const nobody = await call(app.url, "GET", `/api/v1/audit?target=${key}&actor=someone-else`, { token: ROLE_TOKENS.viewer });
    expect(nobody.body.entries).toEqual([]);
  });

  it("edits of different fields at once all land: description, owner and tags (10 rounds)", async () => {
    for (let round = 0; round < 10; round++) {
      const key = `parallel-edit-${process.pid}-${round}`;
      expect((await call(app.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key } })).status).toBe(201);
      const answers = await Promise.all(
        [{ description: `round ${round}` }, { owner: "team-payments" }, { tags: ["q3", "payments"] }].map((body) =>
          call(app.url, "PATCH", `/api/v1/flags/${key}`, { token: ROLE_TOKENS.engineer, body }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      const flag = await call(app.url, "GET", `/api/v1/flags/${key}`, { token: ROLE_TOKENS.viewer });
      expect({ ...flag.body, tags: [...flag.body.tags].sort() }).toMatchObject({
        description: `round ${round}`,
        owner: "team-payments",
        tags: ["payments", "q3"],
      });
    }
  });

  it("an edit based on an older version of the settings gets 409 with the current flag and changes nothing", async () => {
    const key = uniqueKey("settings-version");
    const created = await createFlag(key);
    expect(created.version).toBe(1);
    // Someone saves first (without a version, as older clients do): the version moves on.
    const first = await call(app.url, "PATCH", `/api/v1/flags/${key}`, { token: eng, body: { description: "theirs", owner: "team-a" } });
    expect(first.status).toBe(200);
    expect(first.body.version).toBe(2);
    const before = await counts();
    // A form opened at version 1 saves over it: refused, with what is there now.
    const stale = await call(app.url, "PATCH", `/api/v1/flags/${key}`, {
      token: eng,
      body: { version: 1, description: "mine", tags: ["q3"] },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("VERSION_CONFLICT");
    expect(stale.body.current).toMatchObject({ key, description: "theirs", owner: "team-a", tags: [], version: 2 });
    expect(await counts()).toEqual(before);
    // With the current version it lands.
    const fresh = await call(app.url, "PATCH", `/api/v1/flags/${key}`, { token: eng, body: { version: 2, description: "mine" } });
    expect(fresh.status).toBe(200);
    expect(fresh.body).toMatchObject({ description: "mine", owner: "team-a", version: 3 });
    expect(
      (await call(app.url, "PATCH", `/api/v1/flags/${key}`, { token: eng, body: { version: 0, tags: [] } })).body.error.fields,
    ).toEqual({
      version: "must be at least 1",
    });
  });

  it("eight edits sent at once with the same version: one lands, seven get 409", async () => {
    const key = uniqueKey("settings-race");
    await createFlag(key);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(app.url, "PATCH", `/api/v1/flags/${key}`, { token: eng, body: { version: 1, description: `edit ${i}` } }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    const winner = answers.find((a) => a.status === 200)!;
    const flag = await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng });
    expect(flag.body).toMatchObject({ description: winner.body.description, version: 2 });
    const audit = await t.sql("SELECT count(*)::int AS n FROM audit_log WHERE action = 'flag.update' AND target_id = $1", [key]);
    expect(audit.rows[0].n).toBe(1);
  });

  it("edits a description and archives a flag with a reason; archived flags vanish and their keys are not reused", async () => {
    const key = uniqueKey("archive");
    await createFlag(key);
    const edited = await call(app.url, "PATCH", `/api/v1/flags/${key}`, { token: eng, body: { description: "  New words " } });
    expect(edited.status).toBe(200);
    expect(edited.body.description).toBe("New words");

    expect((await call(app.url, "DELETE", `/api/v1/flags/${key}`, { token: eng, body: {} })).status).toBe(400);
    const archived = await call(app.url, "DELETE", `/api/v1/flags/${key}`, { token: eng, body: { reason: "shipped to everyone" } });
    expect(archived.status).toBe(204);
    expect((await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng })).status).toBe(404);
    const list = await call(app.url, "GET", "/api/v1/flags", { token: eng });
    expect(list.body.flags.map((f: { key: string }) => f.key)).not.toContain(key);
    expect((await call(app.url, "DELETE", `/api/v1/flags/${key}`, { token: eng, body: { reason: "again" } })).status).toBe(404);
    const reuse = await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } });
    expect(reuse.status).toBe(409);
    expect(reuse.body.error.fields.key).toBe("used by an archived flag");
    const audit = await t.sql("SELECT reason, before FROM audit_log WHERE action = 'flag.archive' AND target_id = $1", [key]);
    expect(audit.rows).toEqual([{ reason: "shipped to everyone", before: expect.objectContaining({ staging: expect.any(Object) }) }]);
  });

  it("refuses to archive a flag with a rollout in progress", async () => {
    const key = uniqueKey("archive-live");
    await createFlag(key);
    await t.sql(
      "INSERT INTO rollouts (flag_id, environment_key, status, requested_by) SELECT f.id, 'production', 'active', u.id FROM flags f, users u WHERE f.key = $1 LIMIT 1",
      [key],
    );
    const res = await call(app.url, "DELETE", `/api/v1/flags/${key}`, { token: eng, body: { reason: "not yet" } });
    expect(res.status).toBe(409);
    expect((await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng })).status).toBe(200);
  });

  it("50 concurrent PATCHes with the same version: exactly one wins, the rest get 409, one audit entry", async () => {
    const key = uniqueKey("race");
    await createFlag(key);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(app.url, "PATCH", `/api/v1/flags/${key}/environments/staging`, {
          token: eng,
          body: { version: 1, rolloutPercent: i + 1, enabled: true },
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const winner = results.find((r) => r.status === 200)!.body;
    for (const loser of results.filter((r) => r.status === 409)) expect(loser.body.current.version).toBe(2);

    const final = await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng });
    expect(final.body.environments.staging).toEqual(winner);
    const audit = await t.sql("SELECT after FROM audit_log WHERE target_id = $1 AND action = 'flag_state.update'", [`${key}/staging`]);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].after.rolloutPercent).toBe(winner.rolloutPercent);
  });
});

describe("role matrix (API.md): each role gets exactly the documented status", () => {
  type Caller = Role | "sdk" | "anonymous" | "bad-token";
  const callers: Caller[] = [...ROLES, "sdk", "anonymous", "bad-token"];
  const tokenOf = (c: Caller) =>
    c === "sdk" ? SDK_TOKEN : c === "anonymous" ? undefined : c === "bad-token" ? "tok-not-a-real-token" : ROLE_TOKENS[c];
  const expected = (allowed: Role[], ok: number) => (c: Caller) =>
    c === "anonymous" || c === "bad-token" ? 401 : c !== "sdk" && allowed.includes(c) ? ok : 403;

  const matrixRule = { contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] };
  /** A fresh segment (version 1, unused), created by an engineer. */
  const matrixSegment = async (): Promise<number> => {
    const res = await call(app.url, "POST", "/api/v1/segments", {
      token: eng,
      body: { name: uniqueKey("Matrix"), constraints: [matrixRule] },
    });
    expect(res.status).toBe(201);
    return res.body.id as number;
  };

  const routes: { name: string; allowed: Role[]; ok: number; run: (token?: string) => Promise<number> }[] = [
    {
      name: "POST /api/v1/flags",
      allowed: ["engineer"],
      ok: 201,
      run: async (token) => (await call(app.url, "POST", "/api/v1/flags", { token, body: { key: uniqueKey("matrix") } })).status,
    },
    {
      name: "PATCH /api/v1/flags/{key}/environments/{env}",
      allowed: ["engineer"],
      ok: 200,
      run: async (token) => {
        const key = uniqueKey("matrix-patch");
        await createFlag(key);
        return (await call(app.url, "PATCH", `/api/v1/flags/${key}/environments/staging`, { token, body: { version: 1, enabled: true } }))
          .status;
      },
    },
    {
      name: "PATCH /api/v1/flags/{key}",
      allowed: ["engineer"],
      ok: 200,
      run: async (token) => {
        const key = uniqueKey("matrix-describe");
        await createFlag(key);
        return (await call(app.url, "PATCH", `/api/v1/flags/${key}`, { token, body: { description: "x" } })).status;
      },
    },
    {
      name: "DELETE /api/v1/flags/{key}",
      allowed: ["engineer"],
      ok: 204,
      run: async (token) => {
        const key = uniqueKey("matrix-archive");
        await createFlag(key);
        return (await call(app.url, "DELETE", `/api/v1/flags/${key}`, { token, body: { reason: "matrix" } })).status;
      },
    },
    {
      name: "POST /api/v1/flags/archive",
      allowed: ["engineer"],
      ok: 200,
      run: async (token) => {
        const keys = [uniqueKey("matrix-bulk"), uniqueKey("matrix-bulk")];
        for (const key of keys) await createFlag(key);
        return (await call(app.url, "POST", "/api/v1/flags/archive", { token, body: { keys, reason: "matrix" } })).status;
      },
    },
    {
      name: "GET /api/v1/flags",
      allowed: [...ROLES],
      ok: 200,
      run: async (token) => (await call(app.url, "GET", "/api/v1/flags", { token })).status,
    },
    {
      name: "GET /api/v1/segments",
      allowed: [...ROLES],
      ok: 200,
      run: async (token) => (await call(app.url, "GET", "/api/v1/segments", { token })).status,
    },
    {
      name: "POST /api/v1/segments",
      allowed: ["engineer", "admin"],
      ok: 201,
      run: async (token) =>
        (await call(app.url, "POST", "/api/v1/segments", { token, body: { name: uniqueKey("Matrix"), constraints: [matrixRule] } })).status,
    },
    {
      name: "GET /api/v1/segments/{id}",
      allowed: [...ROLES],
      ok: 200,
      run: async (token) => (await call(app.url, "GET", `/api/v1/segments/${await matrixSegment()}`, { token })).status,
    },
    {
      name: "PATCH /api/v1/segments/{id}",
      allowed: ["engineer", "admin"],
      ok: 200,
      run: async (token) =>
        (await call(app.url, "PATCH", `/api/v1/segments/${await matrixSegment()}`, { token, body: { version: 1, description: "x" } }))
          .status,
    },
    {
      name: "DELETE /api/v1/segments/{id}",
      allowed: ["engineer", "admin"],
      ok: 204,
      run: async (token) => (await call(app.url, "DELETE", `/api/v1/segments/${await matrixSegment()}`, { token })).status,
    },
    {
      name: "GET /api/v1/audit",
      allowed: [...ROLES],
      ok: 200,
      run: async (token) => (await call(app.url, "GET", "/api/v1/audit", { token })).status,
    },
  ];

  for (const route of routes) {
    it(route.name, async () => {
      const got: Record<string, number> = {};
      const want: Record<string, number> = {};
      for (const caller of callers) {
        got[caller] = await route.run(tokenOf(caller));
        want[caller] = expected(route.allowed, route.ok)(caller);
      }
      expect(got).toEqual(want);
    });
  }

  it("denied mutations change nothing", async () => {
    const before = await counts();
    for (const caller of callers.filter((c) => c !== "engineer")) {
      await call(app.url, "POST", "/api/v1/flags", { token: tokenOf(caller), body: { key: uniqueKey("denied") } });
    }
    expect(await counts()).toEqual(before);
  });
});

describe("bad input gets 400 with field messages and changes nothing", () => {
  const badCreates: [string, { body?: unknown; rawBody?: string }, string][] = [
    ["missing key", { body: { description: "x" } }, "key"],
    ["key with spaces", { body: { key: "Bad Key" } }, "key"],
    ["key too long", { body: { key: "a".repeat(101) } }, "key"],
    ["description too long", { body: { key: "ok-key", description: "x".repeat(501) } }, "description"],
    ["unknown field", { body: { key: "ok-key", colour: "blue" } }, "body"],
    ["not JSON", { rawBody: "{nope" }, "body"],
    ["empty body", { rawBody: "" }, "body"],
    ["array body", { body: [1, 2] }, "body"],
  ];
  it.each(badCreates)("POST /api/v1/flags: %s", async (_name, input, field) => {
    const before = await counts();
    const res = await call(app.url, "POST", "/api/v1/flags", { token: eng, ...input });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(Object.keys(res.body.error.fields)).toContain(field);
    expect(await counts()).toEqual(before);
  });

  const badPatches: [string, unknown, string][] = [
    ["percent above 100", { version: 1, rolloutPercent: 101 }, "rolloutPercent"],
    ["negative percent", { version: 1, rolloutPercent: -1 }, "rolloutPercent"],
    ["fractional percent", { version: 1, rolloutPercent: 12.5 }, "rolloutPercent"],
    ["percent as string", { version: 1, rolloutPercent: "50" }, "rolloutPercent"],
    ["enabled as string", { version: 1, enabled: "yes" }, "enabled"],
    ["allowlist not a list", { version: 1, allowlist: "qa-1" }, "allowlist"],
    ["empty allowlist entry", { version: 1, allowlist: ["ok", " "] }, "allowlist.1"],
    ["missing version", { rolloutPercent: 5 }, "version"],
    ["nothing to change", { version: 1 }, "enabled"],
    ["killed is not patchable", { version: 1, killed: true }, "body"],
  ];
  it.each(badPatches)("PATCH state: %s", async (_name, body, field) => {
    const key = uniqueKey("bad-patch");
    await createFlag(key);
    const before = await counts();
    const res = await call(app.url, "PATCH", `/api/v1/flags/${key}/environments/staging`, { token: eng, body });
    expect(res.status).toBe(400);
    expect(res.body.error.fields[field], JSON.stringify(res.body)).toEqual(expect.any(String));
    expect(await counts()).toEqual(before);
  });

  it.each([
    ["PATCH", { description: 5 }, "description"],
    ["PATCH", { description: "x".repeat(501) }, "description"],
    ["PATCH", {}, "description"],
    ["PATCH", { description: "ok", key: "rename" }, "body"],
    ["DELETE", { reason: "no" }, "reason"],
    ["DELETE", {}, "reason"],
  ])("%s /api/v1/flags/{key} with %j → 400 on %s, nothing changes", async (method, body, field) => {
    const key = uniqueKey("bad-flag-edit");
    await createFlag(key);
    const before = await counts();
    const res = await call(app.url, method, `/api/v1/flags/${key}`, { token: eng, body });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.error.fields)).toContain(field);
    expect(await counts()).toEqual(before);
  });

  it("PATCH state of an unknown flag or environment is 404 and changes nothing", async () => {
    const key = uniqueKey("unknown-env");
    await createFlag(key);
    const before = await counts();
    expect(
      (await call(app.url, "PATCH", `/api/v1/flags/${key}/environments/qa`, { token: eng, body: { version: 1, enabled: true } })).status,
    ).toBe(404);
    expect(
      (await call(app.url, "PATCH", `/api/v1/flags/nope-${key}/environments/staging`, { token: eng, body: { version: 1, enabled: true } }))
        .status,
    ).toBe(404);
    expect(await counts()).toEqual(before);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=abc", "limit"],
    ["limit=501", "limit"],
    ["before=xyz", "before"],
    ["sort=asc", "body"],
  ])("GET /api/v1/audit?%s", async (query, field) => {
    const res = await call(app.url, "GET", `/api/v1/audit?${query}`, { token: eng });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.error.fields)).toContain(field);
  });
});

describe("browser sessions on the API", () => {
  it("a session cookie works from our own origin and is refused cross-origin", async () => {
    await t.db.user.create({
      data: { email: "cookie@x.io", name: "Cookie", roles: ["engineer"], passwordHash: await hashPassword("password1") },
    });
    const { secret } = await signIn(t.db, { email: "cookie@x.io", password: "password1" });
    const post = (headers: Record<string, string>, key: string) =>
      fetch(`${app.url}/api/v1/flags`, {
        method: "POST",
        headers: { cookie: `rollgate_session=${secret}`, "content-type": "application/json", ...headers },
        body: JSON.stringify({ key }),
      });
    const before = await counts();
    const evil = await post({ origin: "https://evil.example" }, uniqueKey("csrf"));
    expect(evil.status).toBe(403);
    // Without Origin the request cannot be told from a forged one riding the cookie.
    const unknown = await post({}, uniqueKey("no-origin"));
    expect(unknown.status).toBe(403);
    expect((await unknown.json()).error.message).toMatch(/must come from Rollgate's own pages/);
    expect(await counts()).toEqual(before);
    expect((await post({ origin: app.url }, uniqueKey("same-origin"))).status).toBe(201);
    expect((await post({ "sec-fetch-site": "same-origin" }, uniqueKey("fetch-metadata"))).status).toBe(201);
  });
});
