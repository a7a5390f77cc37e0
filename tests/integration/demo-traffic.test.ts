import { statSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { eventually } from "../support/eventually";
import { signIn } from "../../lib/auth/sessions";
import { serverActionIds } from "../fuzz/support/fuzz-world";
import { scratchPath } from "../support/scratch";

const dataDir = scratchPath(`demo-traffic-${process.pid}`);

const { t, app } = setUpTestApp({ env: { ROLLGATE_DEMO: "auto", ROLLGATE_DATA_DIR: dataDir, ROLLGATE_DEMO_PASSWORD: "demo-traffic-pw" } });
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * What the demo service reported over all its flags in production: its SDK token's own rows
 * (metric_rollups_by_token), so the seed's history of the demo rollout (lib/demo/demo-history.ts,
 * written without a token, partly in the same minute as the first live reports) is not counted.
 * All flags, not the demo rollout's alone: at the history's 10 requests a second its 10 % `on` arm
 * sees one a second, other flags serve `on` (or `off`) to everyone.
 */
async function variantStats() {
  const r = await t.sql(`
    SELECT m.variant, sum(m.requests)::int AS requests, sum(m.errors)::int AS errors, sum(m.latency_sum_ms) / nullif(sum(m.requests), 0) AS mean
    FROM metric_rollups_by_token m
    WHERE m.environment_key = 'production'
    GROUP BY m.variant`);
  return Object.fromEntries(r.rows.map((row) => [row.variant, row])) as Record<string, { requests: number; errors: number; mean: number }>;
}

describe("demo traffic", () => {
  it("a synthetic service reports through the SDK, with its token kept hashed in the database and private on disk", async () => {
    // Seeding the demo (history included) comes first; on a loaded 2-core machine it can take a while.
    await eventually(() => app.output().includes("demo traffic:"), 30_000, "the demo service starts");
    await eventually(
      async () => ((await variantStats()).on?.requests ?? 0) > 30 && ((await variantStats()).off?.requests ?? 0) > 100,
      20_000,
      "traffic on both variants",
    );
    const stats = await variantStats();
    expect(stats.on!.mean).toBeGreaterThan(stats.off!.mean); // the new code path is a little slower
    const tokens = await t.sql(`SELECT count(*)::int AS n FROM api_tokens WHERE kind = 'sdk' AND environment_key = 'production'`);
    expect(tokens.rows[0].n).toBe(1);
    expect(statSync(path.join(dataDir, "demo-sdk-token-production")).mode & 0o777).toBe(0o600);
  });

  it("an admin's error spike on `on` raises its errors and leaves `off` alone", async () => {
    const session = await signIn(t.db, { email: "admin@rollgate.dev", password: "demo-traffic-pw" });
    const form = new FormData();
    form.append("_1_mode", "on");
    form.append("0", '[{"status":"idle"},"$K1"]');
    const before = await variantStats();
    const res = await fetch(`${app.url}/admin`, {
      method: "POST",
      headers: {
        "next-action": serverActionIds().get("demoSpikeAction")!,
        accept: "text/x-component",
        cookie: `rollgate_session=${session.secret}`,
        origin: app.url,
      },
      body: form,
    });
    expect(await res.text()).toContain("Errors injected on the on variant only");
    // Enough spiked traffic that the last second of calm the SDK still had buffered (flushed after
    // `before` was read) cannot dilute it, nor chance bring 25 % under 10 % (4 σ at 200; 80 let both do it).
    await eventually(
      async () => ((await variantStats()).on?.requests ?? 0) - before.on!.requests > 200,
      60_000,
      "traffic during the spike",
    );
    const after = await variantStats();
    const onRate = (after.on!.errors - before.on!.errors) / (after.on!.requests - before.on!.requests);
    const offRate = (after.off!.errors - before.off!.errors) / (after.off!.requests - before.off!.requests);
    expect(onRate).toBeGreaterThan(0.1);
    expect(offRate).toBeLessThan(0.05);
    const audit = await t.sql(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'demo.spike'`);
    expect(audit.rows[0].n).toBe(1);
  }, 90_000);
});
