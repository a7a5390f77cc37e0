// Who reported what (issue 23): every batch is also counted under its SDK token; an admin sees the
// per-token contributions and can purge one token's reports over a time range, atomically and audited.
import { beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { LATENCY_SLOTS } from "../../lib/domain/latency-buckets";
import { hashSecret } from "../../lib/auth/secrets";
import { postgresIdentity } from "../../lib/auth/identity";
import { startSession } from "../../lib/auth/sessions";
import { BOOTSTRAP, call, ROLE_TOKENS } from "../support/http";

const SDK_A = "tok-sdk-attrib-a-0001";
const SDK_B = "tok-sdk-attrib-b-0001";
const { t, app } = setUpTestApp({ bootstrapTokens: [BOOTSTRAP, `sdk:production:${SDK_A}`, `sdk:production:${SDK_B}`].join(",") });
const FLAG = "attrib-flag";
const OTHER = "attrib-other";
const ids: Record<string, string> = {};

beforeAll(async () => {
  for (const key of [FLAG, OTHER])
    expect((await call(app.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key } })).status).toBe(201);
  for (const token of [SDK_A, SDK_B]) {
    const { rows } = await t.sql(`SELECT id FROM api_tokens WHERE token_hash = $1`, [hashSecret(token)]);
    ids[token] = rows[0].id;
  }
});

// One "now" for the whole file: a test that reads "3 minutes ago" after the minute turned would
// otherwise name another minute than the reports sent earlier.
const THIS_MINUTE = Math.floor(Date.now() / 60_000) * 60_000;
const minuteAgo = (n: number) => new Date(THIS_MINUTE - n * 60_000).toISOString();
const slots = (n: number) => [n, ...new Array<number>(LATENCY_SLOTS - 1).fill(0)];
const summary = (flagKey: string, variant: "on" | "off", minute: string, requests: number, errors: number) => ({
  flagKey,
  variant,
  reason: "SPLIT",
  minute,
  requests,
  errors,
  ...(errors ? { errorsByCode: { E_A: errors } } : {}),
  latencySumMs: requests * 2,
  latencyBuckets: slots(requests),
});
const send = async (token: string, summaries: unknown[]) => {
  const res = await call(app.url, "POST", "/api/v1/events", { token, body: { summaries } });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
};

async function rollups(key: string) {
  const { rows } = await t.sql(
    `SELECT m.variant, sum(m.requests)::int AS requests, sum(m.errors)::int AS errors, sum(m.latency_sum_ms)::float8 AS latency,
            (SELECT coalesce(sum((m2.errors_by_code->>'E_A')::int), 0)::int FROM metric_rollups m2 WHERE m2.flag_id = f.id AND m2.variant = m.variant) AS coded
       FROM metric_rollups m JOIN flags f ON f.id = m.flag_id WHERE f.key = $1 GROUP BY m.variant, f.id ORDER BY m.variant`,
    [key],
  );
  return Object.fromEntries(rows.map((r) => [r.variant, { requests: r.requests, errors: r.errors, latency: r.latency, coded: r.coded }]));
}
const contributions = (query: string, token = ROLE_TOKENS.admin) =>
  call(app.url, "GET", `/api/v1/metrics/contributions?${query}`, { token });
const purge = (body: unknown, token = ROLE_TOKENS.admin) => call(app.url, "POST", "/api/v1/metrics/purge", { token, body });

describe("per-token attribution, contributions and purge", () => {
  it("counts each batch under its token as well, so per-token rows add up to the rollups", async () => {
    await send(SDK_A, [summary(FLAG, "on", minuteAgo(3), 100, 10), summary(FLAG, "off", minuteAgo(3), 100, 5)]);
    await send(SDK_A, [summary(FLAG, "on", minuteAgo(2), 50, 0), summary(OTHER, "on", minuteAgo(2), 7, 1)]);
    await send(SDK_B, [summary(FLAG, "on", minuteAgo(3), 1000, 0), summary(FLAG, "on", minuteAgo(1), 500, 0)]);
    const { rows } = await t.sql(
      `SELECT token_id, variant, sum(requests)::int AS requests, sum(errors)::int AS errors FROM metric_rollups_by_token b
         JOIN flags f ON f.id = b.flag_id WHERE f.key = $1 GROUP BY 1, 2 ORDER BY 2, 3`,
      [FLAG],
    );
    expect(rows).toEqual([
      { token_id: ids[SDK_A], variant: "off", requests: 100, errors: 5 },
      { token_id: ids[SDK_A], variant: "on", requests: 150, errors: 10 },
      { token_id: ids[SDK_B], variant: "on", requests: 1500, errors: 0 },
    ]);
    expect(await rollups(FLAG)).toEqual({
      off: { requests: 100, errors: 5, latency: 200, coded: 5 },
      on: { requests: 1650, errors: 10, latency: 3300, coded: 10 },
    });
  });

  it("GET /api/v1/metrics/contributions lists who reported what, for admins only", async () => {
    const res = await contributions(`flag=${FLAG}&environment=production`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.total).toEqual({ requests: 1750, errors: 15, evaluations: 0 });
    expect(res.body.unattributed).toEqual({ requests: 0, errors: 0, evaluations: 0 });
    expect(res.body.tokens.map((c: { tokenId: string; requests: number; errors: number }) => [c.tokenId, c.requests, c.errors])).toEqual([
      [ids[SDK_B], 1500, 0],
      [ids[SDK_A], 250, 15],
    ]);
    expect(res.body.tokens[1]).toMatchObject({
      name: "sdk-production",
      revoked: false,
      variants: { on: { requests: 150, errors: 10, evaluations: 0 }, off: { requests: 100, errors: 5, evaluations: 0 } },
      firstMinute: minuteAgo(3),
      lastMinute: minuteAgo(2),
    });
    expect((await contributions(`flag=${FLAG}`, ROLE_TOKENS.engineer)).status).toBe(403);
    expect((await contributions(`flag=no-such-flag`)).status).toBe(404);
    expect((await contributions(`flag=${FLAG}&environment=nowhere`)).status).toBe(404);
    const bad = await contributions(`flag=${FLAG}&from=yesterday`);
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.error.fields)).toEqual(["from"]);
    const inverted = await contributions(`flag=${FLAG}&from=${minuteAgo(1)}&to=${minuteAgo(5)}`);
    expect(inverted.status).toBe(400);
    expect(Object.keys(inverted.body.error.fields)).toEqual(["to"]);
    expect((await contributions(``)).body.error.fields).toHaveProperty("flag");
  });

  it("reports stored before attribution existed (rollups without a token's row) show as unattributed", async () => {
    const legacy = "attrib-legacy";
    expect((await call(app.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key: legacy } })).status).toBe(201);
    // As a rollup written before per-token rows: in metric_rollups only.
    await t.sql(
      `INSERT INTO metric_rollups (flag_id, environment_key, variant, minute, phase, requests, errors, reason)
       SELECT id, 'production', 'off', $2, -1, 70, 4, 'SPLIT' FROM flags WHERE key = $1`,
      [legacy, minuteAgo(6)],
    );
    await send(SDK_A, [summary(legacy, "off", minuteAgo(6), 30, 1)]);
    const res = await contributions(`flag=${legacy}&environment=production`);
    expect(res.status).toBe(200);
    expect(res.body.total).toEqual({ requests: 100, errors: 5, evaluations: 0 });
    expect(res.body.unattributed).toEqual({ requests: 70, errors: 4, evaluations: 0 });
    expect(res.body.tokens.map((c: { tokenId: string; requests: number }) => [c.tokenId, c.requests])).toEqual([[ids[SDK_A], 30]]);
  });

  it("the flag page shows admins who reported what, and nobody else", async () => {
    const cookieOf = async (token: string) => {
      const me = (await postgresIdentity(t.db).fromApiToken(token))!;
      const user = await t.db.user.findUniqueOrThrow({ where: { id: me.kind === "user" ? me.userId : "" } });
      return `rollgate_session=${(await startSession(t.db, user, { via: "password" })).secret}`;
    };
    const page = async (token: string) => {
      const res = await fetch(`${app.url}/flags/${FLAG}`, { headers: { cookie: await cookieOf(token) }, redirect: "manual" });
      expect(res.status).toBe(200);
      return res.text();
    };
    const admin = await page(ROLE_TOKENS.admin);
    expect(admin).toContain("Reported by");
    expect(admin).toMatch(/1,500<\/td>/);
    expect(await page(ROLE_TOKENS.engineer)).not.toContain("Reported by");
  });

  it("refuses bad purges with 400/403/404 and changes nothing", async () => {
    const before = [await rollups(FLAG), await t.sql(`SELECT count(*)::int AS n FROM metric_rollups_by_token`)];
    const range = { from: minuteAgo(10), to: new Date().toISOString() };
    expect((await purge({ tokenId: ids[SDK_B], ...range, reason: "forged" }, ROLE_TOKENS.engineer)).status).toBe(403);
    expect((await purge({ not: "a purge" }, ROLE_TOKENS.engineer)).status).toBe(403); // the role before the body
    expect((await purge({ tokenId: "00000000-0000-4000-8000-000000000000", ...range, reason: "forged" })).status).toBe(404);
    expect((await purge({ tokenId: ids[SDK_B], ...range, flag: "no-such-flag", reason: "forged" })).status).toBe(404);
    for (const [body, field] of [
      [{ tokenId: ids[SDK_B], ...range }, "reason"],
      [{ tokenId: "not-a-uuid", ...range, reason: "x" }, "tokenId"],
      [{ tokenId: ids[SDK_B], from: range.to, to: range.from, reason: "x" }, "to"],
      [{ tokenId: ids[SDK_B], from: "2026-01-01T00:00:00Z", to: "2026-03-01T00:00:00Z", reason: "x" }, "to"],
      [{ tokenId: ids[SDK_B], ...range, reason: "x", extra: 1 }, "body"],
    ] as const) {
      const res = await purge(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(res.body.error.fields).join(), JSON.stringify(res.body)).toContain(field === "body" ? "" : field);
    }
    const { rows } = await t.sql(`SELECT id FROM api_tokens WHERE token_hash = $1`, [hashSecret(ROLE_TOKENS.viewer)]);
    const userToken = await purge({ tokenId: rows[0].id, ...range, reason: "x" });
    expect(userToken.status).toBe(400);
    expect(userToken.body.error.fields).toHaveProperty("tokenId");
    expect([await rollups(FLAG), await t.sql(`SELECT count(*)::int AS n FROM metric_rollups_by_token`)]).toEqual(before);
  });

  it("POST /api/v1/metrics/purge takes back exactly one token's reports in the range, and audits it", async () => {
    // Only B's minutes 3 and 2 ago: its report of a minute ago stays, and A's reports are untouched.
    const res = await purge({
      tokenId: ids[SDK_B],
      from: minuteAgo(3),
      to: minuteAgo(1),
      reason: "token B reported traffic nobody served",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ tokenId: ids[SDK_B], rows: 1, requests: 1000, errors: 0, evaluations: 0, flagKey: null });
    expect(await rollups(FLAG)).toEqual({
      off: { requests: 100, errors: 5, latency: 200, coded: 5 },
      on: { requests: 650, errors: 10, latency: 1300, coded: 10 },
    });
    const after = await contributions(`flag=${FLAG}`);
    expect(after.body.tokens.map((c: { tokenId: string; requests: number }) => [c.tokenId, c.requests])).toEqual(
      [
        [ids[SDK_A], 250],
        [ids[SDK_B], 500],
      ].sort((a, b) => (b[1] as number) - (a[1] as number)),
    );
    const audit = await t.sql(`SELECT actor, target_type, target_id, reason, after FROM audit_log WHERE action = 'metrics.purge'`);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]).toMatchObject({
      actor: "admin-bot (token)",
      target_type: "api_token",
      target_id: ids[SDK_B],
      reason: "token B reported traffic nobody served",
      after: { rows: 1, requests: 1000, tokenName: "sdk-production" },
    });

    // A's errors go with A's reports; a row left with nothing is dropped.
    const a = await purge({ tokenId: ids[SDK_A], from: minuteAgo(10), to: new Date().toISOString(), flag: FLAG, reason: "test" });
    expect(a.body).toMatchObject({ rows: 3, requests: 250, errors: 15, flagKey: FLAG });
    expect(await rollups(FLAG)).toEqual({ on: { requests: 500, errors: 0, latency: 1000, coded: 0 } });
    const left = await t.sql(`SELECT count(*)::int AS n FROM metric_rollups m JOIN flags f ON f.id = m.flag_id WHERE f.key = $1`, [FLAG]);
    expect(left.rows[0].n).toBe(1);
    // The other flag's report by A was outside `flag`: still there.
    expect(await rollups(OTHER)).toEqual({ on: { requests: 7, errors: 1, latency: 14, coded: 1 } });
    // The per-token cap's running totals follow: what was purged no longer counts against it.
    const totals = await t.sql(
      `SELECT f.key, mt.token_id::text AS token, sum(mt.requests)::int AS requests FROM metric_token_totals mt JOIN flags f ON f.id = mt.flag_id
        WHERE f.key IN ($1, $2) GROUP BY 1, 2 ORDER BY 1, 3`,
      [FLAG, OTHER],
    );
    expect(totals.rows).toEqual(
      [
        { key: FLAG, token: ids[SDK_B], requests: 500 },
        { key: OTHER, token: ids[SDK_A], requests: 7 },
      ].sort((x, y) => (x.key < y.key ? -1 : 1)),
    );
  });

  it("purges racing with the same token's reports leave the rollups equal to what the tokens' rows hold", async () => {
    const invariant = async () => {
      const { rows } = await t.sql(
        `SELECT (SELECT coalesce(sum(requests), 0) FROM metric_rollups m JOIN flags f ON f.id = m.flag_id WHERE f.key = $1)::int AS rollups,
                (SELECT coalesce(sum(requests), 0) FROM metric_rollups_by_token b JOIN flags f ON f.id = b.flag_id WHERE f.key = $1)::int AS tokens`,
        [FLAG],
      );
      return rows[0];
    };
    const before = await invariant();
    expect(before.rollups).toBe(before.tokens);
    const statuses = await Promise.all([
      ...Array.from({ length: 6 }, async (_, i) => {
        const res = await call(app.url, "POST", "/api/v1/events", {
          token: i % 2 ? SDK_A : SDK_B,
          body: { summaries: [summary(FLAG, "on", minuteAgo(i % 3), 10 + i, 1), summary(FLAG, "off", minuteAgo(i % 3), 5, 0)] },
        });
        return res.status;
      }),
      ...Array.from(
        { length: 3 },
        async () => (await purge({ tokenId: ids[SDK_B], from: minuteAgo(10), to: new Date().toISOString(), reason: "race" })).status,
      ),
    ]);
    expect(statuses.every((s) => s === 202 || s === 200)).toBe(true);
    const after = await invariant();
    expect(after.rollups).toBe(after.tokens);
  });
});
