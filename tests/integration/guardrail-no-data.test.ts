// Issue 23: a live split that reports nothing cannot be judged, so it is held and announced once,
// and a silence after traffic came back is news again. The silence is 10 s here (15 min by default).
import { afterAll, beforeAll, expect, it } from "vitest";
import { SEED_GUARDRAILS } from "../../lib/domain/guardrail";
import { eventually } from "../support/eventually";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, quickPhases, ROLE_TOKENS, SDK_TOKEN, startLiveRollout } from "../support/http";
import { startReceiver } from "../support/webhook-receiver";

let receiver: Awaited<ReturnType<typeof startReceiver>>;
const eng = ROLE_TOKENS.engineer;

const { t, app } = setUpTestApp({
  bootstrapTokens: BOOTSTRAP,
  env: { ROLLGATE_GUARDRAIL_INTERVAL_MS: "300", ROLLGATE_GUARDRAIL_NO_DATA_SECONDS: "10" },
});
beforeAll(async () => {
  receiver = await startReceiver();
  await t.sql(`INSERT INTO webhooks (environment_key, name, url) VALUES ('production', 'alerts', $1)`, [receiver.url("/alerts")]);
});
afterAll(async () => {
  await receiver?.close();
});

const noDataEntries = async (key: string) =>
  (
    await t.sql(`SELECT after FROM audit_log WHERE action = 'guardrail.no_data' AND target_id = $1 ORDER BY id`, [`${key}/production`])
  ).rows.map((r) => r.after as { lastTraffic: string | null; acted: string; dryRun: boolean });

it("a live 50 % phase with guardrails and no traffic for the silence is paused and announced, once", async () => {
  const { key, id } = await startLiveRollout(app.url, eng, `quiet-${process.pid}`, quickPhases(50, 100));
  const set = await call(app.url, "PUT", `/api/v1/flags/${key}/environments/production/guardrails`, {
    token: ROLE_TOKENS.oncall,
    body: { guardrails: SEED_GUARDRAILS },
  });
  expect(set.status).toBe(200);
  await eventually(async () => (await noDataEntries(key)).length === 1, 40_000, "the silence is acted on");
  expect((await noDataEntries(key))[0]).toEqual({ lastTraffic: null, acted: "paused the rollout", dryRun: false });
  const rollout = await call(app.url, "GET", `/api/v1/rollouts/${id}`, { token: eng });
  expect(rollout.body.status).toBe("paused");
  await eventually(
    () => receiver.received("/alerts").some((r) => JSON.parse(r.body).text.includes("no traffic from the split")),
    10_000,
    "the webhook announces it",
  );

  // Traffic comes back: the silence is cleared, so a later one would act again; this one acted once.
  const events = (["on", "off"] as const).map((variant) => ({
    flagKey: key,
    variant,
    reason: "SPLIT",
    outcome: "success",
    latencyMs: 20,
    targetingKey: variant,
  }));
  expect((await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { events } })).status).toBe(202);
  await eventually(
    async () => {
      const r = await t.sql(`SELECT e.acted FROM split_evidence e JOIN flags f ON f.id = e.flag_id WHERE f.key = $1`, [key]);
      return r.rows[0] !== undefined && !("no_data" in r.rows[0].acted);
    },
    10_000,
    "traffic clears the silence",
  );
  expect(await noDataEntries(key)).toHaveLength(1);
});
