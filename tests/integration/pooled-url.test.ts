// DATABASE_POOLED_URL: ordinary queries go through it (e.g. a transaction pooler), while LISTEN,
// the start-up lock and migrations keep a real session on DATABASE_URL. Two application names on one
// database show which connection carries what.
import { describe, expect, it } from "vitest";
import { call, patchFlagState } from "../support/http";
import { eventually } from "../support/eventually";
import { setUpTestApp } from "../support/fixture";

const ENG = "pooled-engineer";
const SDK = "pooled-sdk-production";

const named = (url: string, name: string) => {
  const u = new URL(url);
  u.searchParams.set("application_name", name);
  return u.toString();
};

const { t, app } = setUpTestApp({
  databaseUrl: (t) => named(t.url, "rollgate_direct"),
  bootstrapTokens: `eng:engineer:${ENG},sdk:production:${SDK}`,
  env: (t) => ({ DATABASE_POOLED_URL: named(t.url, "rollgate_pooled") }),
});

describe("DATABASE_POOLED_URL", () => {
  it("carries the app's queries; the LISTEN connection stays on DATABASE_URL and changes still arrive", async () => {
    expect((await call(app.url, "POST", "/api/v1/flags", { token: ENG, body: { key: "pooled" } })).status).toBe(201);
    const res = await patchFlagState(app.url, ENG, "pooled", "production", { enabled: true, rolloutPercent: 100 });
    expect(res.status).toBe(200);
    // The data plane learns of the change only through NOTIFY on the direct connection.
    await eventually(
      async () => {
        const r = await fetch(`${app.url}/ofrep/v1/evaluate/flags/pooled`, {
          method: "POST",
          headers: { authorization: `Bearer ${SDK}`, "content-type": "application/json" },
          body: JSON.stringify({ context: { targetingKey: "u1" } }),
        });
        return ((await r.json()) as { value?: boolean }).value === true;
      },
      2000,
      "the OFREP snapshot reloads after the change",
    );

    const { rows } = await t.sql(
      "SELECT application_name, query FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'rollgate_%'",
      [t.name],
    );
    const direct = rows.filter((r) => r.application_name === "rollgate_direct");
    const pooled = rows.filter((r) => r.application_name === "rollgate_pooled");
    expect(pooled.length).toBeGreaterThan(0);
    // Only the listeners stay on it: the config store's and the webhook delivery worker's.
    expect(direct.map((r) => r.query).sort()).toEqual([
      "LISTEN rollgate_config; LISTEN rollgate_tokens; LISTEN rollgate_rollouts; LISTEN rollgate_credentials; LISTEN rollgate_metrics; LISTEN rollgate_caught_up",
      "LISTEN rollgate_webhooks",
    ]);
  });
});
