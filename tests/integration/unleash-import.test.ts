// Moving from Unleash: the client specification's own cases, imported and evaluated over OFREP, give
// the specification's answers for every flag Rollgate can reproduce; the rest is named, not guessed.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { eventually } from "../support/eventually";
import { verifyAuditChain } from "../../lib/audit/verify-chain";

const admin = ROLE_TOKENS.admin;
const SPEC_DIR = path.resolve("node_modules/@unleash/client-specification/specifications");

interface SpecFeature {
  name: string;
  strategies?: { name: string; parameters?: Record<string, string> }[];
}
interface Spec {
  name: string;
  state?: { features?: SpecFeature[] };
  tests?: { description: string; context: Record<string, string>; toggleName: string; expectedResult: boolean }[];
}

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
  it("the client specification's cases evaluate over OFREP as the specification says, for every flag that maps", async () => {
    let checked = 0;
    let imported = 0;
    const skipped = new Set<string>();
    for (const file of readdirSync(SPEC_DIR)
      .filter((f) => /^\d\d-.*\.json$/.test(f))
      .sort()) {
      const spec = JSON.parse(readFileSync(path.join(SPEC_DIR, file), "utf8")) as Spec;
      if (!spec.state?.features || !spec.tests?.length) continue;
      const res = await importExport({ export: spec.state, unmappable: "skip", dryRun: false });
      expect(res.status, `${file}: ${JSON.stringify(res.body)}`).toBe(200);
      const plan = new Map((res.body.flags as { key: string; action: string }[]).map((f) => [f.key, f.action]));
      await dataPlaneCaughtUp();
      for (const c of spec.tests) {
        const action = plan.get(c.toggleName);
        if (action !== "create" && action !== "update" && action !== "unchanged") {
          skipped.add(`${file}:${c.toggleName}`);
          continue;
        }
        const feature = spec.state.features.find((f) => f.name === c.toggleName)!;
        // The service passes as targetingKey what the flag's stickiness names (README: Unleash import).
        const sticky = feature.strategies?.find((s) => s.name !== "userWithId" && s.name !== "default");
        const stickiness =
          sticky?.name === "gradualRolloutSessionId"
            ? "sessionId"
            : sticky?.name === "gradualRolloutUserId"
              ? "userId"
              : (sticky?.parameters?.stickiness ?? "default");
        const targetingKey =
          stickiness === "sessionId"
            ? c.context.sessionId
            : stickiness === "userId"
              ? c.context.userId
              : (c.context.userId ?? c.context.sessionId);
        const out = await call(app.url, "POST", `/ofrep/v1/evaluate/flags/${encodeURIComponent(c.toggleName)}`, {
          token: SDK_TOKEN,
          body: { context: targetingKey === undefined ? {} : { targetingKey } },
        });
        expect(out.body.value ?? false, `${file}: ${c.description}`).toBe(c.expectedResult);
        checked++;
      }
      imported++;
    }
    expect(imported).toBeGreaterThanOrEqual(10);
    expect(checked).toBeGreaterThanOrEqual(25); // 29 cases in client-specification 6.1.0
    // What cannot map was left out, not approximated: constraints, custom stickiness, random, dependencies…
    expect([...skipped].some((s) => s.startsWith("09-"))).toBe(true);
    expect([...skipped].some((s) => s.startsWith("17-"))).toBe(true);
    // Issue 25's silent wrong answers: session and default stickiness need targeting rules, which this
    // importer does not store yet, so the dry run names them instead of calling them exact.
    for (const flag of [
      "04-gradual-rollout-session-id-strategy.json:Feature.B4",
      "10-flexible-rollout-strategy.json:Feature.flexibleRollout.10",
      "10-flexible-rollout-strategy.json:Feature.flexibleRollout.sessionId.42",
    ])
      expect(skipped, flag).toContain(flag);
  });

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
          problems: [
            "flexibleRollout without a groupId (Unleash SDKs bucket it differently)",
            "needs targeting rules (1 strategy), which this import does not store",
          ],
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
        strategies: [{ name: "flexibleRollout", parameters: { rollout: String(percent(i)), stickiness: "default", groupId: name } }],
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
    expect((await importExport({ export: exportV5, unmappable: "guess" })).status).toBe(400);
  });
});
