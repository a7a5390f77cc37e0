// Raw events are an opt-in sample per flag: the rollups count every event whatever the setting, and
// the raw table keeps none by default, all at 100 %, and about the share asked for in between.
import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN } from "../support/http";

const eng = ROLE_TOKENS.engineer;

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

async function flag(key: string, percent?: number): Promise<void> {
  expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
  if (percent !== undefined) {
    const res = await call(app.url, "PATCH", `/api/v1/flags/${key}`, { token: eng, body: { rawEventSamplePercent: percent } });
    expect(res.status).toBe(200);
    expect(res.body.rawEventSamplePercent).toBe(percent);
  }
}

async function send(key: string, n: number): Promise<void> {
  for (let sent = 0; sent < n; sent += 1000) {
    const res = await call(app.url, "POST", "/api/v1/events", {
      token: SDK_TOKEN,
      body: {
        events: Array.from({ length: Math.min(1000, n - sent) }, (_, i) => ({
          flagKey: key,
          variant: i % 2 ? "on" : "off",
          outcome: "success",
          latencyMs: 5,
          targetingKey: `u-${sent + i}`,
        })),
      },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: Math.min(1000, n - sent), ignored: 0 });
  }
}

const counts = async (key: string) => {
  const { rows } = await t.sql(
    `SELECT (SELECT count(*)::int FROM events e JOIN flags f ON f.id = e.flag_id WHERE f.key = $1) AS raw,
            (SELECT coalesce(sum(requests), 0)::int FROM metric_rollups m JOIN flags f ON f.id = m.flag_id WHERE f.key = $1) AS counted`,
    [key],
  );
  return rows[0] as { raw: number; counted: number };
};

describe("raw-event sampling", () => {
  it("keeps no raw rows by default, every one at 100 %, and about the share asked for between; the rollups count all", async () => {
    await flag("sampled-default");
    await flag("sampled-all", 100);
    await flag("sampled-quarter", 25);
    await Promise.all([send("sampled-default", 2000), send("sampled-all", 2000), send("sampled-quarter", 4000)]);
    expect(await counts("sampled-default")).toEqual({ raw: 0, counted: 2000 });
    expect(await counts("sampled-all")).toEqual({ raw: 2000, counted: 2000 });
    const quarter = await counts("sampled-quarter");
    expect(quarter.counted).toBe(4000);
    // Binomial(4000, 0.25): mean 1000, standard deviation 27; ±250 is over 9 deviations.
    expect(quarter.raw).toBeGreaterThan(750);
    expect(quarter.raw).toBeLessThan(1250);
  });

  it("samples whole subjects: a sampled user keeps every event, an unsampled one none", async () => {
    await flag("sampled-users", 50);
    const events = Array.from({ length: 1200 }, (_, i) => ({
      flagKey: "sampled-users",
      variant: "on",
      outcome: "success",
      latencyMs: 5,
      targetingKey: `journey-${i % 400}`, // 400 users, 3 events each
    }));
    const res = await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { events } });
    expect(res.status).toBe(202);
    const { rows } = await t.sql(
      `SELECT e.targeting_key, count(*)::int AS n FROM events e JOIN flags f ON f.id = e.flag_id WHERE f.key = 'sampled-users' GROUP BY 1`,
    );
    expect(rows.every((r) => r.n === 3)).toBe(true);
    // Binomial(400, 0.5): mean 200, standard deviation 10; ±80 is 8 deviations.
    expect(rows.length).toBeGreaterThan(120);
    expect(rows.length).toBeLessThan(280);
  });

  it("samples events without a targeting key one by one: about the share asked for, not all or none", async () => {
    await flag("sampled-keyless", 50);
    const events = Array.from({ length: 2000 }, () => ({ flagKey: "sampled-keyless", variant: "on", outcome: "success", latencyMs: 5 }));
    for (let i = 0; i < events.length; i += 1000) {
      const res = await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { events: events.slice(i, i + 1000) } });
      expect(res.status).toBe(202);
    }
    const keyless = await counts("sampled-keyless");
    expect(keyless.counted).toBe(2000);
    // Binomial(2000, 0.5): mean 1000, standard deviation 22; ±250 is over 11 deviations. One decision
    // for all keyless events (as if they were one subject) would keep 0 or 2000.
    expect(keyless.raw).toBeGreaterThan(750);
    expect(keyless.raw).toBeLessThan(1250);
  });

  it("refuses a share outside 0 … 100 or not a number, changing nothing; the change is audited", async () => {
    await flag("sampled-bad", 10);
    for (const [bad, message] of [
      [-1, "must be between 0 and 100"],
      [100.5, "must be between 0 and 100"],
      ["50", "must be a number from 0 to 100"],
      [null, "must be a number from 0 to 100"],
    ] as const) {
      const res = await call(app.url, "PATCH", "/api/v1/flags/sampled-bad", { token: eng, body: { rawEventSamplePercent: bad } });
      expect(res.status).toBe(400);
      expect(res.body.error.fields, String(bad)).toEqual({ rawEventSamplePercent: message });
    }
    const empty = await call(app.url, "PATCH", "/api/v1/flags/sampled-bad", { token: eng, body: {} });
    expect(empty.status).toBe(400);
    const viewer = await call(app.url, "PATCH", "/api/v1/flags/sampled-bad", {
      token: ROLE_TOKENS.viewer,
      body: { rawEventSamplePercent: 50 },
    });
    expect(viewer.status).toBe(403);
    expect((await call(app.url, "GET", "/api/v1/flags/sampled-bad", { token: eng })).body.rawEventSamplePercent).toBe(10);
    const { rows } = await t.sql(`SELECT before, after FROM audit_log WHERE action = 'flag.update' AND target_id = 'sampled-bad'`);
    expect(rows).toEqual([
      {
        before: { description: "", owner: null, tags: [], rawEventSamplePercent: 0 },
        after: { description: "", owner: null, tags: [], rawEventSamplePercent: 10 },
      },
    ]);
  });
});
