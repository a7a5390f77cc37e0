// Moving from Unleash: what an export becomes in Rollgate (the plan, the states, the segments and
// the dependencies), atomically and once. Every case of the client specification, evaluated by
// outside clients after import, is tests/integration/unleash-spec.test.ts.
import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { eventually } from "../support/eventually";
import { verifyAuditChain } from "../../lib/audit/verify-chain";

const admin = ROLE_TOKENS.admin;

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

const importExport = (body: Record<string, unknown>, token = admin) => call(app.url, "POST", "/api/v1/import/unleash", { token, body });

async function dataPlaneCaughtUp(): Promise<void> {
  const { rows } = await t.sql(`SELECT config_version::int AS v FROM environments WHERE key = 'production'`);
  await eventually(
    async () => {
      const res = await call(app.url, "POST", "/ofrep/v1/evaluate/flags", { token: SDK_TOKEN, body: { context: { targetingKey: "x" } } });
      return res.body.metadata?.configVersion >= rows[0].v;
    },
    5000,
    "the import reaches the data plane",
  );
}

describe("Unleash import", () => {
  const exportV5 = {
    features: [
      { name: "checkout.NewFlow", description: "new checkout", type: "release", project: "default" },
      { name: "Search.Beta", description: "", type: "release", project: "default" },
      { name: "old-thing", archived: true },
    ],
    featureEnvironments: [
      { featureName: "checkout.NewFlow", environment: "production", enabled: true, variants: [] },
      { featureName: "checkout.NewFlow", environment: "development", enabled: true, variants: [] },
      { featureName: "Search.Beta", environment: "production", enabled: true, variants: [] },
    ],
    featureStrategies: [
      {
        featureName: "checkout.NewFlow",
        environment: "production",
        name: "flexibleRollout",
        parameters: { rollout: "25", stickiness: "userId", groupId: "checkout" },
        constraints: [],
      },
      {
        featureName: "checkout.NewFlow",
        environment: "production",
        name: "userWithId",
        parameters: { userIds: "qa-1, qa-2" },
        constraints: [],
      },
      {
        featureName: "Search.Beta",
        environment: "production",
        name: "flexibleRollout",
        parameters: { rollout: "50", stickiness: "default" },
        constraints: [{ contextName: "country", operator: "IN", values: ["NO"] }],
      },
    ],
    segments: [],
    dependencies: [],
  };

  it("a dry run shows what maps and what does not, and changes nothing", async () => {
    const before = (await t.sql(`SELECT (SELECT count(*) FROM flags)::int AS flags, (SELECT count(*) FROM audit_log)::int AS audit`))
      .rows[0];
    const res = await importExport({ export: exportV5, environments: { development: "staging" } });
    expect(res.status).toBe(200);
    expect(res.body.dryRun).toBe(true);
    const byKey = Object.fromEntries((res.body.flags as { key: string }[]).map((f) => [f.key, f]));
    expect(byKey["checkout.NewFlow"]).toMatchObject({
      action: "create",
      bucketGroup: "checkout",
      environments: {
        production: { exact: true, to: { enabled: true, rolloutPercent: 25, allowlist: ["qa-1", "qa-2"] } },
        staging: { exact: true, to: { enabled: true, rolloutPercent: 100 } },
      },
    });
    expect(byKey["Search.Beta"]).toMatchObject({
      action: "create",
      environments: {
        production: {
          exact: false,
          problems: ["flexibleRollout without a groupId (Unleash SDKs bucket it differently)"],
          to: { enabled: false, rolloutPercent: 0 },
        },
      },
    });
    expect(byKey["old-thing"]).toMatchObject({ action: "skip", reason: "archived in Unleash" });
    // An Unleash environment Rollgate has no counterpart for: named as a problem, unless left out (null).
    const unmapped = await importExport({ export: exportV5 });
    const flowUnmapped = (unmapped.body.flags as { key: string; problems: string[] }[]).find((f) => f.key === "checkout.NewFlow")!;
    expect(flowUnmapped.problems).toEqual(["Unleash environment 'development' has no Rollgate environment 'development'"]);
    const leftOut = await importExport({ export: exportV5, environments: { development: null } });
    expect((leftOut.body.flags as { key: string }[]).find((f) => f.key === "checkout.NewFlow")).toMatchObject({
      problems: [],
      environments: { production: { exact: true } },
    });
    const after = (await t.sql(`SELECT (SELECT count(*) FROM flags)::int AS flags, (SELECT count(*) FROM audit_log)::int AS audit`))
      .rows[0];
    expect(after).toEqual(before);
  });

  it("applies atomically with one audit entry per flag, and a second import changes nothing", async () => {
    const first = await importExport({ export: exportV5, environments: { development: "staging" }, dryRun: false });
    expect(first.status).toBe(200);
    expect(first.body.summary).toMatchObject({ create: 2, skip: 1 });
    const flow = await call(app.url, "GET", "/api/v1/flags/checkout.NewFlow", { token: ROLE_TOKENS.viewer });
    expect(flow.body).toMatchObject({
      bucketGroup: "checkout",
      environments: { production: { enabled: true, rolloutPercent: 25, allowlist: ["qa-1", "qa-2"] } },
    });
    const audit = async () => (await t.sql(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'flag.import'`)).rows[0].n;
    const entries = await audit();
    const second = await importExport({ export: exportV5, environments: { development: "staging" }, dryRun: false });
    expect(second.body.summary).toMatchObject({ create: 0, update: 0, unchanged: 2, skip: 1 });
    expect(await audit()).toBe(entries);
  });

  it("writes hundreds of flags set-based: one audit entry per flag in export order on an intact chain, exact states", async () => {
    const names = Array.from({ length: 300 }, (_, i) => `bulk.${String(i).padStart(3, "0")}`);
    const exportOf = (percent: (i: number) => number) => ({
      version: 1,
      features: names.map((name, i) => ({
        name,
        enabled: true,
        // userId stickiness: a plain percentage (default stickiness is a targeting strategy, tested with the specification).
        strategies: [{ name: "flexibleRollout", parameters: { rollout: String(percent(i)), stickiness: "userId", groupId: name } }],
      })),
    });
    const first = await importExport({ export: exportOf((i) => i % 100), dryRun: false });
    expect(first.status, JSON.stringify(first.body).slice(0, 300)).toBe(200);
    expect(first.body.summary).toMatchObject({ create: 300, update: 0 });
    const states = await t.sql(
      `SELECT f.key, s.enabled, s.rollout_percent, s.version FROM flags f JOIN flag_states s ON s.flag_id = f.id
        WHERE f.key LIKE 'bulk.%' AND s.environment_key = 'production' ORDER BY f.key`,
    );
    expect(states.rows).toEqual(names.map((key, i) => ({ key, enabled: true, rollout_percent: i % 100, version: 2 })));
    // An environment the export does not name gets the default state, as for any new flag.
    const staging = await t.sql(
      `SELECT count(*)::int AS n, bool_and(NOT s.enabled AND s.rollout_percent = 0 AND s.version = 1) AS defaults
         FROM flags f JOIN flag_states s ON s.flag_id = f.id WHERE f.key LIKE 'bulk.%' AND s.environment_key = 'staging'`,
    );
    expect(staging.rows[0]).toEqual({ n: 300, defaults: true });
    const created = await t.sql(
      `SELECT target_id, before, after FROM audit_log WHERE action = 'flag.import' AND target_id LIKE 'bulk.%' ORDER BY id`,
    );
    expect(created.rows.map((r) => r.target_id)).toEqual(names);
    expect(created.rows[7]).toEqual({
      target_id: "bulk.007",
      before: null,
      after: {
        source: "unleash",
        bucketGroup: "bulk.007",
        owner: null,
        tags: [],
        environments: { production: { enabled: true, rolloutPercent: 7, allowlist: [] } },
      },
    });

    // Again with every third flag changed: only those are written, each entry with what it replaced.
    const second = await importExport({ export: exportOf((i) => (i % 3 === 0 ? 100 : i % 100)), dryRun: false });
    expect(second.body.summary).toMatchObject({ create: 0, update: 100, unchanged: 200 });
    const updated = await t.sql(
      `SELECT target_id, before FROM audit_log WHERE action = 'flag.import' AND target_id LIKE 'bulk.%' ORDER BY id OFFSET 300`,
    );
    expect(updated.rows.map((r) => r.target_id)).toEqual(names.filter((_, i) => i % 3 === 0));
    expect(updated.rows[1]).toEqual({ target_id: "bulk.003", before: { production: { enabled: true, rolloutPercent: 3, allowlist: [] } } });
    const versions = await t.sql(
      `SELECT f.key, s.version FROM flags f JOIN flag_states s ON s.flag_id = f.id
        WHERE f.key IN ('bulk.003', 'bulk.004') AND s.environment_key = 'production' ORDER BY f.key`,
    );
    expect(versions.rows).toEqual([
      { key: "bulk.003", version: 3 },
      { key: "bulk.004", version: 2 },
    ]);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, problems: [] });
    await dataPlaneCaughtUp();
    const evaluated = await call(app.url, "POST", "/ofrep/v1/evaluate/flags/bulk.003", {
      token: SDK_TOKEN,
      body: { context: { targetingKey: "u" } },
    });
    expect(evaluated.body.value).toBe(true); // 100 % now
  });

  it("a flag created by someone else between the plan and the insert: 409, nothing imported, and the same request again works", async () => {
    const keys = ["race.one", "race.two"];
    const body = {
      export: {
        features: keys.map((name) => ({ name, description: "", type: "release", project: "default" })),
        featureEnvironments: keys.map((featureName) => ({ featureName, environment: "production", enabled: true, variants: [] })),
        featureStrategies: [],
      },
      dryRun: false,
    };
    // As the moment a concurrent create wins the key: the import's INSERT meets a unique violation.
    await t.sql(`CREATE FUNCTION race_two_taken() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.key = 'race.two' THEN RAISE unique_violation USING MESSAGE = 'duplicate key value violates unique constraint "flags_key_key"'; END IF; RETURN NEW; END $$`);
    await t.sql(`CREATE TRIGGER race_two_taken BEFORE INSERT ON flags FOR EACH ROW EXECUTE FUNCTION race_two_taken()`);
    try {
      const raced = await importExport(body);
      expect(raced.status).toBe(409);
      expect(raced.body.error.message).toContain("created meanwhile; nothing was imported");
      expect((await t.sql(`SELECT count(*)::int AS n FROM flags WHERE key = ANY($1)`, [keys])).rows[0].n).toBe(0);
    } finally {
      await t.sql(`DROP TRIGGER race_two_taken ON flags`);
      await t.sql(`DROP FUNCTION race_two_taken()`);
    }
    const again = await importExport(body);
    expect(again.status).toBe(200);
    expect(again.body.summary).toMatchObject({ create: 2 });
  });

  it("refuses what is not an export, and anyone but an admin", async () => {
    const bad = await importExport({ export: { toggles: [] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.export).toMatch(/features/);
    const before = (await t.sql(`SELECT (SELECT count(*) FROM flags)::int AS flags, (SELECT count(*) FROM audit_log)::int AS audit`))
      .rows[0];
    const twice = await importExport({ export: { ...exportV5, features: [...exportV5.features, { name: "Search.Beta" }] }, dryRun: false });
    expect(twice.status).toBe(400);
    expect(twice.body.error.fields.export).toBe("the export names the feature 'Search.Beta' more than once");
    expect((await call(app.url, "POST", "/api/v1/import/unleash", { token: admin, rawBody: "{ not json" })).status).toBe(400);
    // 20 MB: a bad file like the others (400 naming the limit), refused by size before it is read.
    const huge = JSON.stringify({ export: { features: [{ name: "x", description: "d".repeat(20_000_000) }] } });
    const tooLarge = await call(app.url, "POST", "/api/v1/import/unleash", { token: admin, rawBody: huge });
    expect(tooLarge.status).toBe(400);
    expect(tooLarge.body.error.fields.body).toBe("the export is larger than 10 MB (at most 10000000 bytes)");
    const after = (await t.sql(`SELECT (SELECT count(*) FROM flags)::int AS flags, (SELECT count(*) FROM audit_log)::int AS audit`))
      .rows[0];
    expect(after).toEqual(before);
    expect((await importExport({ export: exportV5 }, ROLE_TOKENS.engineer)).status).toBe(403);
    // The role before the body: a bad or oversized body from a non-admin is a 403 (not a 400), unread.
    expect((await importExport({ export: { toggles: [] } }, ROLE_TOKENS.engineer)).status).toBe(403);
    expect((await call(app.url, "POST", "/api/v1/import/unleash", { token: ROLE_TOKENS.viewer, rawBody: huge })).status).toBe(403);
    expect((await importExport({ export: exportV5, unmappable: "guess" })).status).toBe(400);
  });
  const staffAcme = [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] }];
  const segmentExport = {
    features: [
      { name: "seg.flag", project: "default" },
      { name: "dep.parent", project: "default" },
      { name: "dep.child", project: "default" },
    ],
    featureEnvironments: [
      { featureName: "seg.flag", environment: "production", enabled: true, variants: [] },
      { featureName: "dep.parent", environment: "production", enabled: true, variants: [] },
      { featureName: "dep.child", environment: "production", enabled: true, variants: [] },
    ],
    featureStrategies: [
      {
        featureName: "seg.flag",
        environment: "production",
        name: "flexibleRollout",
        parameters: { rollout: "100", stickiness: "default", groupId: "seg.flag" },
        constraints: [],
        segments: [7, 9],
      },
    ],
    segments: [
      { id: 7, name: "Staff", constraints: staffAcme },
      { id: 9, name: "Beta testers", constraints: [{ contextName: "userId", operator: "IN", values: ["u-1", "u-2"] }] },
      { id: 11, name: "Broken", constraints: [{ contextName: "version", operator: "SEMVER_EQ", value: "not a version" }] },
    ],
    dependencies: [{ feature: "dep.child", dependencies: [{ feature: "dep.parent" }] }],
  };

  it("creates the export's segments (a name taken by other constraints gets ' (imported)'), renumbers strategies, keeps dependencies by key", async () => {
    // A "Staff" of Rollgate's own, with other constraints: the import must not change who it matches.
    const own = await call(app.url, "POST", "/api/v1/segments", {
      token: admin,
      body: { name: "staff", constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@other.com"] }] },
    });
    expect(own.status).toBe(201);
    const counts = async () =>
      (
        await t.sql(`SELECT (SELECT count(*) FROM segments)::int AS segments,
                            (SELECT count(*) FROM audit_log WHERE action = 'segment.create')::int AS created`)
      ).rows[0];
    const before = await counts();

    const dry = await importExport({ export: segmentExport });
    expect(dry.status).toBe(200);
    expect(dry.body.segments).toEqual([
      { unleashId: 7, name: "Staff (imported)", action: "create", id: null, constraints: staffAcme, problems: [] },
      {
        unleashId: 9,
        name: "Beta testers",
        action: "create",
        id: null,
        constraints: [{ contextName: "userId", operator: "IN", values: ["u-1", "u-2"] }],
        problems: [],
      },
      {
        unleashId: 11,
        name: "Broken",
        action: "skip",
        id: null,
        constraints: [{ contextName: "version", operator: "SEMVER_EQ", value: "not a version" }],
        problems: [expect.stringMatching(/^segment 11: constraint 0\.value: /)],
      },
    ]);
    const dryFlags = Object.fromEntries((dry.body.flags as { key: string }[]).map((f) => [f.key, f]));
    // In a dry run a segment still to be created is minus its Unleash id.
    expect(dryFlags["seg.flag"]).toMatchObject({
      action: "create",
      environments: { production: { exact: true, to: { enabled: true, targeting: { strategies: [{ segments: [-7, -9] }] } } } },
    });
    expect(dryFlags["dep.child"]).toMatchObject({
      environments: { production: { exact: true, to: { enabled: true, targeting: { dependencies: [{ feature: "dep.parent" }] } } } },
    });
    expect(await counts()).toEqual(before);

    const applied = await importExport({ export: segmentExport, dryRun: false });
    expect(applied.status).toBe(200);
    expect(applied.body.summary).toEqual({ create: 3, update: 0, unchanged: 0, skip: 0 });
    const [staff, beta] = applied.body.segments as { id: number; name: string; action: string }[];
    expect([staff!.action, beta!.action]).toEqual(["create", "create"]);
    expect(await counts()).toEqual({ segments: before.segments + 2, created: before.created + 2 });
    const rows = (await t.sql(`SELECT id, name, constraints FROM segments ORDER BY id`)).rows;
    expect(rows.find((r) => r.id === own.body.id)!.constraints).toEqual([
      { contextName: "email", operator: "STR_ENDS_WITH", values: ["@other.com"] },
    ]);
    expect(rows.find((r) => r.id === staff!.id)).toMatchObject({ name: "Staff (imported)", constraints: staffAcme });
    const flag = await call(app.url, "GET", "/api/v1/flags/seg.flag", { token: ROLE_TOKENS.viewer });
    expect(flag.body.environments.production.targeting.strategies[0].segments).toEqual([staff!.id, beta!.id]);
    const usage = await call(app.url, "GET", `/api/v1/segments/${staff!.id}`, { token: ROLE_TOKENS.viewer });
    expect(usage.body.usage).toEqual([{ flagKey: "seg.flag", environment: "production", archived: false, rollout: null }]);
    const child = await call(app.url, "GET", "/api/v1/flags/dep.child", { token: ROLE_TOKENS.viewer });
    expect(child.body.environments.production.targeting.dependencies).toEqual([{ feature: "dep.parent" }]);

    // Again: the segments are found and reused, nothing is written.
    const again = await importExport({ export: segmentExport, dryRun: false });
    expect(again.body.summary).toEqual({ create: 0, update: 0, unchanged: 3, skip: 0 });
    expect((again.body.segments as { action: string; id: number }[]).slice(0, 2)).toMatchObject([
      { action: "reuse", id: staff!.id },
      { action: "reuse", id: beta!.id },
    ]);
    expect(await counts()).toEqual({ segments: before.segments + 2, created: before.created + 2 });
  });

  it("a child whose parent is not imported is named, and a parent already in Rollgate is used by key", async () => {
    const onlyChild = {
      ...segmentExport,
      // dep.parent is not in this export: the one Rollgate has (imported above) is the parent.
      features: [{ name: "dep.child2", project: "default" }, { name: "Bad Name" }],
      featureEnvironments: [
        { featureName: "dep.child2", environment: "production", enabled: true, variants: [] },
        { featureName: "Bad Name", environment: "production", enabled: true, variants: [] },
      ],
      featureStrategies: [],
      segments: [],
      dependencies: [{ feature: "dep.child2", dependencies: [{ feature: "dep.parent" }, { feature: "Bad Name" }] }],
    };
    const res = await importExport({ export: onlyChild });
    const child = (res.body.flags as { key: string }[]).find((f) => f.key === "dep.child2");
    expect(child).toMatchObject({
      action: "create",
      environments: {
        production: {
          exact: false,
          problems: [
            "depends on 'Bad Name', which is not imported (the name has characters a Rollgate key cannot hold (spaces, slashes…))",
          ],
          to: { enabled: false, targeting: { dependencies: [{ feature: "dep.parent" }, { feature: "Bad Name" }] } },
        },
      },
    });
  });
});
