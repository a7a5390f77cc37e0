import { beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, quickPhases, ROLE_TOKENS, startLiveRollout } from "../support/http";
import type { UserPrincipal } from "../../lib/auth/principal";
import { archiveFlags } from "../../lib/flags/archive-flags";

const eng = ROLE_TOKENS.engineer;
const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

let engineer: UserPrincipal;
beforeAll(async () => {
  const row = await t.db.user.create({ data: { email: "bulk@example.com", name: "Bulk", roles: ["engineer"] } });
  engineer = { kind: "user", userId: row.id, email: row.email, name: row.name, roles: ["engineer"], via: "session" };
});

const create = async (body: Record<string, unknown>) => {
  const res = await call(app.url, "POST", "/api/v1/flags", { token: eng, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};
const keysOf = async (query: string) => {
  const res = await call(app.url, "GET", `/api/v1/flags?${query}`, { token: ROLE_TOKENS.viewer });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body.flags as { key: string }[]).map((f) => f.key);
};

describe("owner and tags", () => {
  it("are set at creation, edited with an audit entry, listed and filterable", async () => {
    const flag = await create({ key: "own-pay", owner: "Team Payments", tags: ["payments", "q3", "payments"] });
    expect(flag).toMatchObject({ owner: "Team Payments", tags: ["payments", "q3"] });
    await create({ key: "own-none" });

    expect(await keysOf("q=own-&owner=team%20payments")).toEqual(["own-pay"]);
    expect(await keysOf("q=own-&tag=q3")).toEqual(["own-pay"]);

    const edited = await call(app.url, "PATCH", "/api/v1/flags/own-none", { token: eng, body: { owner: "search", tags: ["ranking"] } });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ owner: "search", tags: ["ranking"], description: "" });
    const cleared = await call(app.url, "PATCH", "/api/v1/flags/own-pay", { token: eng, body: { owner: null } });
    expect(cleared.body).toMatchObject({ owner: null, tags: ["payments", "q3"] });
    expect(await keysOf("q=own-&owner=search")).toEqual(["own-none"]);

    const audit = await t.sql("SELECT before, after FROM audit_log WHERE action = 'flag.update' AND target_id = 'own-none'");
    expect(audit.rows).toEqual([
      {
        before: expect.objectContaining({ owner: null, tags: [] }),
        after: expect.objectContaining({ owner: "search", tags: ["ranking"] }),
      },
    ]);
    const created = await t.sql("SELECT after FROM audit_log WHERE action = 'flag.create' AND target_id = 'own-pay'");
    expect(created.rows[0].after).toMatchObject({ owner: "Team Payments", tags: ["payments", "q3"] });
  });

  it("refuses tags that are not slugs, more than 20, and an owner with control characters", async () => {
    const bad = async (path: string, method: string, body: unknown) => {
      const res = await call(app.url, method, path, { token: eng, body });
      expect(res.status).toBe(400);
      return res.body.error.fields as Record<string, string>;
    };
    expect((await bad("/api/v1/flags", "POST", { key: "own-bad", tags: ["Not A Slug"] }))["tags.0"]).toMatch(/lowercase/);
    const many = Array.from({ length: 21 }, (_, i) => `t${i}`);
    expect((await bad("/api/v1/flags", "POST", { key: "own-bad", tags: many })).tags).toBe("at most 20 tags");
    expect((await bad("/api/v1/flags", "POST", { key: "own-bad", owner: "a\u0007b" })).owner).toMatch(/control/);
    expect((await bad("/api/v1/flags", "POST", { key: "own-bad", tags: "payments" })).tags).toMatch(/list/);
    expect((await call(app.url, "GET", "/api/v1/flags/own-bad", { token: eng })).status).toBe(404);
    // The database holds the same line for writers that skip the API.
    await expect(t.sql("UPDATE flags SET tags = '{UPPER}' WHERE key = 'own-pay'")).rejects.toThrow(/check/);
  });
});

describe("last evaluated and potentially stale", () => {
  it("come from the rollups and the states, and stale=1 lists exactly the stale flags", async () => {
    for (const key of ["life-fresh", "life-quiet", "life-never", "life-full", "life-young"]) await create({ key });
    // On for everyone everywhere for 40 days like life-full, but under a live rollout: not stale.
    await startLiveRollout(app.url, eng, "life-full-rolling", quickPhases(100));
    // Everything but life-young is 40 days old.
    await t.sql("UPDATE flags SET created_at = now() - interval '40 days' WHERE key LIKE 'life-%' AND key <> 'life-young'");
    const rollup = (key: string, age: string) =>
      t.sql(
        `INSERT INTO metric_rollups (flag_id, environment_key, variant, minute, requests, latency_buckets)
         SELECT id, 'production', 'on', date_trunc('minute', now() - $2::interval), 1, '{}' FROM flags WHERE key = $1
         ON CONFLICT (flag_id, environment_key, variant, minute, phase, reason) DO UPDATE SET requests = metric_rollups.requests + 1`,
        [key, age],
      );
    await rollup("life-fresh", "40 days");
    await rollup("life-fresh", "2 hours"); // a newer minute moves it forward …
    await rollup("life-fresh", "40 days"); // … and an older one, counted again, does not move it back
    await rollup("life-quiet", "35 days");
    await rollup("life-full", "1 hour");
    // Adoption-only counts (Unleash yes/no metrics) are evaluations too.
    await t.sql(
      `INSERT INTO metric_rollups (flag_id, environment_key, variant, minute, evaluations, latency_buckets)
       SELECT id, 'staging', 'off', date_trunc('minute', now()), 5, '{}' FROM flags WHERE key = 'life-full-rolling'`,
    );
    await t.sql(
      `UPDATE flag_states s SET enabled = true, rollout_percent = 100, updated_at = now() - interval '40 days'
         FROM flags f WHERE f.id = s.flag_id AND f.key IN ('life-full', 'life-full-rolling')`,
    );

    const res = await call(app.url, "GET", "/api/v1/flags?q=life-&limit=500", { token: ROLE_TOKENS.viewer });
    const byKey = new Map(
      (res.body.flags as { key: string; stale: string | null; lastEvaluated: Record<string, string | null> }[]).map((f) => [f.key, f]),
    );
    expect(byKey.get("life-fresh")!.stale).toBeNull();
    expect(Date.now() - Date.parse(byKey.get("life-fresh")!.lastEvaluated.production!)).toBeLessThan(3 * 3600_000);
    expect(byKey.get("life-fresh")!.lastEvaluated.staging).toBeNull();
    expect(byKey.get("life-quiet")!.stale).toBe("not_evaluated");
    expect(byKey.get("life-never")!.stale).toBe("not_evaluated");
    expect(byKey.get("life-full")!.stale).toBe("fully_rolled_out");
    expect(byKey.get("life-full-rolling")!.stale).toBeNull();
    expect(byKey.get("life-full-rolling")!.lastEvaluated.staging).toEqual(expect.any(String));
    expect(byKey.get("life-young")!.stale).toBeNull();
    expect(await keysOf("q=life-&stale=1")).toEqual(["life-full", "life-never", "life-quiet"]);
    // Last evaluated, newest first, never-evaluated flags last (in id order among themselves).
    const byEvaluated = await keysOf("q=life-&sort=evaluated&limit=3");
    expect(byEvaluated).toEqual(["life-full-rolling", "life-full", "life-fresh"]);
    const res2 = await call(app.url, "GET", "/api/v1/flags?q=life-&sort=evaluated&limit=3", { token: ROLE_TOKENS.viewer });
    const rest = await keysOf(`q=life-&sort=evaluated&limit=10&cursor=${encodeURIComponent(res2.body.next)}`);
    expect(rest.slice(0, 1)).toEqual(["life-quiet"]);
    expect(new Set(rest.slice(1))).toEqual(new Set(["life-never", "life-young"]));
  });
});

describe("bulk archive", () => {
  it("archives every selected flag with one reason and one audit entry each", async () => {
    for (const key of ["bulk-a", "bulk-b", "bulk-c"]) await create({ key });
    const done = await archiveFlags(t.db, engineer, { keys: ["bulk-a", "bulk-b"], reason: "cleanup after Q3" });
    expect(done.archived).toEqual(["bulk-a", "bulk-b"]);
    expect(await keysOf("q=bulk-")).toEqual(["bulk-c"]);
    const audit = await t.sql(
      "SELECT target_id, reason, actor_id FROM audit_log WHERE action = 'flag.archive' AND target_id LIKE 'bulk-%' ORDER BY target_id",
    );
    expect(audit.rows).toEqual([
      { target_id: "bulk-a", reason: "cleanup after Q3", actor_id: engineer.userId },
      { target_id: "bulk-b", reason: "cleanup after Q3", actor_id: engineer.userId },
    ]);
  });

  it("archives nothing when one flag is mid-rollout, unknown or already archived, and needs the engineer role", async () => {
    await create({ key: "bulk-d" });
    await startLiveRollout(app.url, eng, "bulk-live", quickPhases(10, 100));
    const before = (await t.sql("SELECT count(*)::int AS n FROM audit_log")).rows[0].n;
    await expect(archiveFlags(t.db, engineer, { keys: ["bulk-d", "bulk-live"], reason: "cleanup" })).rejects.toMatchObject({
      code: "UNPROCESSABLE",
      details: { fields: { keys: "rollout in progress: bulk-live" } },
    });
    await expect(archiveFlags(t.db, engineer, { keys: ["bulk-d", "bulk-a"], reason: "cleanup" })).rejects.toMatchObject({
      code: "UNPROCESSABLE",
      details: { fields: { keys: "not found: bulk-a" } },
    });
    await expect(archiveFlags(t.db, { ...engineer, roles: ["viewer"] }, { keys: ["bulk-d"], reason: "cleanup" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await keysOf("q=bulk-")).toEqual(["bulk-c", "bulk-d", "bulk-live"]);
    expect((await t.sql("SELECT count(*)::int AS n FROM audit_log")).rows[0].n).toBe(before);
  });
});

describe("POST /api/v1/flags/archive", () => {
  const archive = (body: unknown, token = eng) => call(app.url, "POST", "/api/v1/flags/archive", { token, body });
  const auditCount = async () => (await t.sql("SELECT count(*)::int AS n FROM audit_log")).rows[0].n as number;

  it("archives every flag named with one reason, one audit entry each, as the token's user", async () => {
    for (const key of ["http-a", "http-b", "http-c"]) await create({ key });
    const res = await archive({ keys: ["http-b", "http-a", "http-b"], reason: "retired in the Q3 cleanup" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ archived: ["http-b", "http-a"] });
    expect(await keysOf("q=http-")).toEqual(["http-c"]);
    expect((await call(app.url, "GET", "/api/v1/flags/http-a", { token: eng })).status).toBe(404);
    const audit = await t.sql(
      `SELECT target_id, reason, actor FROM audit_log WHERE action = 'flag.archive' AND target_id LIKE 'http-%' ORDER BY id`,
    );
    expect(audit.rows.map((r) => [r.target_id, r.reason])).toEqual([
      ["http-b", "retired in the Q3 cleanup"],
      ["http-a", "retired in the Q3 cleanup"],
    ]);
    expect(new Set(audit.rows.map((r) => r.actor)).size).toBe(1);
  });

  it("answers 422 with a field-level message and archives nothing on bad input", async () => {
    await create({ key: "http-keep" });
    await startLiveRollout(app.url, eng, "http-live", quickPhases(10, 100));
    const before = await auditCount();
    const refused = async (body: unknown) => {
      const res = await archive(body);
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      return res.body.error.fields as Record<string, string>;
    };
    expect(await refused({ keys: ["http-keep", "http-nope"], reason: "cleanup" })).toEqual({ keys: "not found: http-nope" });
    expect(await refused({ keys: ["http-keep", "http-a"], reason: "cleanup" })).toEqual({ keys: "not found: http-a" }); // archived above
    expect(await refused({ keys: ["http-keep", "http-live"], reason: "cleanup" })).toEqual({ keys: "rollout in progress: http-live" });
    expect((await refused({ keys: ["http-keep"], reason: "" })).reason).toMatch(/at least 3 characters/);
    expect((await refused({ keys: ["http-keep"] })).reason).toMatch(/required/);
    expect((await refused({ keys: [], reason: "cleanup" })).keys).toMatch(/at least one/);
    const tooMany = Array.from({ length: 501 }, (_, i) => `http-many-${i}`);
    expect((await refused({ keys: tooMany, reason: "cleanup" })).keys).toMatch(/at most 500/);
    expect((await refused({ keys: ["not a key"], reason: "cleanup" }))["keys.0"]).toEqual(expect.any(String));
    expect((await archive({ keys: ["http-keep"], reason: "cleanup" }, ROLE_TOKENS.viewer)).status).toBe(403);
    expect(await keysOf("q=http-")).toEqual(["http-c", "http-keep", "http-live"]);
    expect(await auditCount()).toBe(before);
  });

  it("lets exactly one of several concurrent archives of the same flags through", async () => {
    for (const key of ["race-a", "race-b", "race-c"]) await create({ key });
    const before = await auditCount();
    // Overlapping sets, sent at once: the first to lock race-b archives; every other finds it archived.
    const bodies = [["race-a", "race-b"], ["race-b", "race-c"], ["race-c", "race-b", "race-a"], ["race-b"]];
    const results = await Promise.all(bodies.map((keys) => archive({ keys, reason: "race" })));
    const ok = results.filter((r) => r.status === 200);
    expect(ok, JSON.stringify(results.map((r) => [r.status, r.body]))).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(422);
      expect(r.body.error.fields.keys).toMatch(/^not found: .*race-b/);
    }
    const archived = ok[0]!.body.archived as string[];
    const audit = await t.sql("SELECT target_id FROM audit_log WHERE action = 'flag.archive' AND target_id LIKE 'race-%' ORDER BY id");
    expect(audit.rows.map((r) => r.target_id)).toEqual(archived);
    expect(await auditCount()).toBe(before + archived.length);
    expect(await keysOf("q=race-")).toEqual(["race-a", "race-b", "race-c"].filter((k) => !archived.includes(k)));
  });

  it("still serves a flag whose key is 'archive' at its own path", async () => {
    await create({ key: "archive", description: "a flag named like the route" });
    const got = await call(app.url, "GET", "/api/v1/flags/archive", { token: eng });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ key: "archive", description: "a flag named like the route" });
    const edited = await call(app.url, "PATCH", "/api/v1/flags/archive", { token: eng, body: { owner: "routing" } });
    expect(edited.body).toMatchObject({ key: "archive", owner: "routing" });
    expect((await call(app.url, "DELETE", "/api/v1/flags/archive", { token: eng, body: { reason: "named badly" } })).status).toBe(204);
    expect((await call(app.url, "GET", "/api/v1/flags/archive", { token: eng })).status).toBe(404);
  });
});

describe("Unleash import", () => {
  it("takes each new flag's owner from its project and its tags from featureTags", async () => {
    const res = await call(app.url, "POST", "/api/v1/import/unleash", {
      token: ROLE_TOKENS.admin,
      body: {
        dryRun: false,
        export: {
          features: [{ name: "imp-owned", project: "checkout", enabled: true, strategies: [] }],
          featureTags: [{ featureName: "imp-owned", tagType: "simple", tagValue: "Legacy" }],
        },
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const flag = await call(app.url, "GET", "/api/v1/flags/imp-owned", { token: eng });
    expect(flag.body).toMatchObject({ owner: "checkout", tags: ["legacy"] });
  });
});
