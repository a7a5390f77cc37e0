// API tokens through the API, for automation (a service's SDK key made when the service is): an admin
// makes one and sees its secret once, lists tokens without secrets, and revokes one, which this server
// refuses from the moment the answer arrives. Nobody else may do any of it.
import { describe, expect, it } from "vitest";
import { hashSecret } from "../../lib/auth/secrets";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS } from "../support/http";

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });
const admin = ROLE_TOKENS.admin;

async function evaluate(sdkKey: string): Promise<number> {
  const res = await fetch(`${app.url}/ofrep/v1/evaluate/flags`, {
    method: "POST",
    headers: { authorization: `Bearer ${sdkKey}`, "content-type": "application/json" },
    body: JSON.stringify({ context: { targetingKey: "user-1" } }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe("the API tokens API", () => {
  it("makes an SDK token whose secret is answered once and stored only as a hash; it evaluates at once", async () => {
    const res = await call(app.url, "POST", "/api/v1/tokens", {
      token: admin,
      body: { kind: "sdk", name: "checkout service", environment: "production" },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), token: expect.stringMatching(/^rg_sdk_/) });
    const secret = res.body.token as string;
    const { rows } = await t.sql(`SELECT token_hash, environment_key FROM api_tokens WHERE id = $1`, [res.body.id]);
    expect(rows).toEqual([{ token_hash: hashSecret(secret), environment_key: "production" }]);
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(await evaluate(secret)).toBe(200);

    const listed = await call(app.url, "GET", "/api/v1/tokens", { token: admin });
    expect(listed.status).toBe(200);
    const mine = (listed.body.tokens as { id: string; prefix: string; lastUsedAt: string | null }[]).find((k) => k.id === res.body.id);
    expect(mine).toEqual({
      id: res.body.id,
      name: "checkout service",
      kind: "sdk",
      owner: "environment production",
      prefix: expect.any(String),
      createdAt: expect.any(String),
      lastUsedAt: mine?.lastUsedAt === null ? null : expect.stringMatching(/^\d{4}-/),
      revoked: false,
    });
    expect(secret.startsWith(mine!.prefix)).toBe(true);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
  });

  it("makes a user token that acts as its user, and revokes it: refused from the answer on, 204 again after", async () => {
    const { rows } = await t.sql(`SELECT id FROM users WHERE name = 'viewer-bot'`);
    const made = await call(app.url, "POST", "/api/v1/tokens", {
      token: admin,
      body: { kind: "user", name: "dashboard export", userId: rows[0].id },
    });
    expect(made.status).toBe(201);
    const secret = made.body.token as string;
    expect((await call(app.url, "GET", "/api/v1/flags", { token: secret })).status).toBe(200);
    expect((await call(app.url, "POST", "/api/v1/flags", { token: secret, body: { key: "not-a-viewers" } })).status).toBe(403);

    const revoked = await call(app.url, "DELETE", `/api/v1/tokens/${made.body.id as string}`, { token: admin });
    expect(revoked.status).toBe(204);
    expect((await call(app.url, "GET", "/api/v1/flags", { token: secret })).status).toBe(401);
    expect((await call(app.url, "DELETE", `/api/v1/tokens/${made.body.id as string}`, { token: admin })).status).toBe(204);
    const audit = await t.sql(`SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id`, [made.body.id]);
    expect(audit.rows.map((r) => r.action)).toEqual(["api_token.create", "api_token.revoke"]);
    const listed = await call(app.url, "GET", "/api/v1/tokens", { token: admin });
    expect((listed.body.tokens as { id: string; revoked: boolean }[]).find((k) => k.id === made.body.id)?.revoked).toBe(true);
  });

  it("a revoked SDK token stops evaluating when the DELETE answers", async () => {
    const made = await call(app.url, "POST", "/api/v1/tokens", {
      token: admin,
      body: { kind: "sdk", name: "short-lived", environment: "staging" },
    });
    expect(await evaluate(made.body.token as string)).toBe(200);
    expect((await call(app.url, "DELETE", `/api/v1/tokens/${made.body.id as string}`, { token: admin })).status).toBe(204);
    expect(await evaluate(made.body.token as string)).toBe(401);
  });

  it("pages the list by cursor, newest first, tokens made in one statement included, each exactly once", async () => {
    // Twelve tokens given one creation instant, as a bootstrap that makes several at once may.
    await t.sql(
      `INSERT INTO api_tokens (name, kind, environment_key, token_hash, token_prefix, created_at)
       SELECT 'paged ' || i, 'sdk', 'production', 'paged-hash-' || i, 'rg_', timestamptz '2026-12-01 10:00:00.123456+00'
         FROM generate_series(1, 12) i`,
    );
    const whole = await call(app.url, "GET", "/api/v1/tokens?limit=500", { token: admin });
    expect(whole.status).toBe(200);
    expect(whole.body.next).toBeNull();
    const order = (whole.body.tokens as { id: string }[]).map((x) => x.id);
    const { rows } = await t.sql(`SELECT id::text FROM api_tokens ORDER BY created_at DESC, id DESC`);
    expect(order).toEqual(rows.map((r) => r.id));
    for (const limit of [1, 5, 12]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const path: string = `/api/v1/tokens?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const res = await call(app.url, "GET", path, { token: admin });
        expect(res.status, path).toBe(200);
        seen.push(...(res.body.tokens as { id: string }[]).map((x) => x.id));
        cursor = res.body.next;
      } while (cursor);
      expect([limit, seen]).toEqual([limit, order]);
    }
    for (const [query, field] of [
      ["limit=0", "limit"],
      ["cursor=garbage", "cursor"],
      [`cursor=${Buffer.from(JSON.stringify(["t", "2026-12-01T10:00:00.123Z", rows[0].id])).toString("base64url")}`, "cursor"],
    ]) {
      const res = await call(app.url, "GET", `/api/v1/tokens?${query}`, { token: admin });
      expect([query, res.status, Object.keys(res.body.error?.fields ?? {})]).toEqual([query, 400, [field]]);
    }
  });

  it("refuses bad input with the field named, anyone but an admin, and ids that name no token, changing nothing", async () => {
    const count = async () => (await t.sql(`SELECT count(*)::int AS n FROM api_tokens`)).rows[0].n as number;
    const before = await count();
    const invalid: [unknown, string][] = [
      [{ kind: "sdk", name: "x", environment: "nowhere" }, "environment"],
      [{ kind: "user", name: "x", userId: "00000000-0000-4000-8000-000000000000" }, "userId"],
      [{ kind: "sdk", name: "", environment: "staging" }, "name"],
      [{ kind: "admin", name: "x" }, "kind"],
    ];
    for (const [body, field] of invalid) {
      const res = await call(app.url, "POST", "/api/v1/tokens", { token: admin, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(res.body.error.fields ?? {}), JSON.stringify(body)).toContain(field);
    }
    for (const role of ["engineer", "oncall", "product_owner", "viewer"] as const) {
      const token = ROLE_TOKENS[role];
      expect((await call(app.url, "GET", "/api/v1/tokens", { token })).status, role).toBe(403);
      expect(
        (await call(app.url, "POST", "/api/v1/tokens", { token, body: { kind: "sdk", name: "x", environment: "staging" } })).status,
        role,
      ).toBe(403);
      expect((await call(app.url, "DELETE", "/api/v1/tokens/00000000-0000-4000-8000-000000000000", { token })).status, role).toBe(403);
    }
    expect((await call(app.url, "POST", "/api/v1/tokens", { body: { kind: "sdk", name: "x", environment: "staging" } })).status).toBe(401);
    for (const id of ["00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
      expect((await call(app.url, "DELETE", `/api/v1/tokens/${id}`, { token: admin })).status, id).toBe(404);
    }
    expect(await count()).toBe(before);
  });
});
