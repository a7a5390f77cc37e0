// Issue 23 end to end: with the seeds' guardrails on a 50 % flag, errors that hit both arms alike (the
// weather) notify and kill nothing; errors on `on` only kill the flag within 30 s, and the incident
// quotes the evidence; an alarm raised while control itself is up (an incident on both arms) holds
// instead of killing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEED_GUARDRAILS } from "../../lib/domain/guardrail";
import { eventually } from "../support/eventually";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, patchFlagState, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { startReceiver } from "../support/webhook-receiver";

let receiver: Awaited<ReturnType<typeof startReceiver>>;
const eng = ROLE_TOKENS.engineer;

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP, env: { ROLLGATE_GUARDRAIL_INTERVAL_MS: "300" } });
beforeAll(async () => {
  receiver = await startReceiver();
  await t.sql(`INSERT INTO webhooks (environment_key, name, url) VALUES ('production', 'alerts', $1)`, [receiver.url("/alerts")]);
});
afterAll(async () => {
  await receiver?.close();
});

let seq = 0;
/** A flag served to 50 % by hand (no rollout), with the seeds' guardrails. */
async function splitFlag(): Promise<string> {
  const key = `compare-${process.pid}-${++seq}`;
  expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
  expect((await patchFlagState(app.url, eng, key, "production", { enabled: true, rolloutPercent: 50 })).status).toBe(200);
  const guardrails = SEED_GUARDRAILS.map((g) => ({ ...g }));
  const set = await call(app.url, "PUT", `/api/v1/flags/${key}/environments/production/guardrails`, {
    token: ROLE_TOKENS.oncall,
    body: { guardrails },
  });
  expect(set.status).toBe(200);
  // A new flag starts off, and this instance learns of the 50 % from the change's NOTIFY: until then
  // it answers DISABLED, which a loaded run once took for the guardrail's kill (and found no incident).
  await eventually(async () => (await evaluate(key)).body.reason === "SPLIT", 10_000, "SDKs serve the split");
  return key;
}

/** `n` requests per arm served by the split in one report (as one service sends them), each from its own user. */
async function send(key: string, n: number, errorShare: { on: number; off: number }) {
  const events = (["on", "off"] as const).flatMap((variant) =>
    Array.from({ length: n }, (_, i) => ({
      flagKey: key,
      variant,
      reason: "SPLIT",
      outcome: i < n * errorShare[variant] ? "error" : "success",
      latencyMs: 30,
      errorCode: i < n * errorShare[variant] ? "HTTP_503" : undefined,
      targetingKey: `${variant}-${i}`,
    })),
  );
  expect((await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { events } })).status).toBe(202);
}

const evaluate = (key: string) =>
  call(app.url, "POST", `/ofrep/v1/evaluate/flags/${key}`, { token: SDK_TOKEN, body: { context: { targetingKey: "someone" } } });
const guardrails = async (key: string) =>
  (await call(app.url, "GET", `/api/v1/flags/${key}/environments/production/guardrails`, { token: ROLE_TOKENS.viewer })).body
    .guardrails as { metric: string; lastVerdict: { acted?: string; breached: boolean } | null }[];
const incidentsOf = async (key: string) =>
  (
    (await call(app.url, "GET", "/api/v1/incidents", { token: ROLE_TOKENS.viewer })).body.incidents as { flagKey: string; reason: string }[]
  ).filter((i) => i.flagKey === key);
const alerts = (key: string) =>
  receiver
    .received("/alerts")
    .map((r) => JSON.parse(r.body) as { text: string; rollgate: { kind: string; flagKey: string } })
    .filter((b) => b.rollgate.flagKey === key);
const evidence = async (key: string) =>
  (
    await t.sql(
      `SELECT e.verdicts, e.acted FROM split_evidence e JOIN flags f ON f.id = e.flag_id WHERE f.key = $1 AND e.environment_key = 'production'`,
      [key],
    )
  ).rows[0] as { verdicts: Record<string, { verdict: string; explanation: string }>; acted: Record<string, string> } | undefined;

describe("comparative guardrails", () => {
  it("5 % errors on both arms of a 50 % flag: the threshold notifies, nothing is killed", async () => {
    const key = await splitFlag();
    await send(key, 2000, { on: 0.05, off: 0.05 });
    // The breach's audit entry keeps what it did (the guardrail's last verdict moves on at the next look).
    const breach = async () =>
      (
        await t.sql(
          `SELECT after FROM audit_log WHERE action = 'guardrail.breach' AND target_id = $1 AND after->>'metric' = 'error_rate'`,
          [`${key}/production`],
        )
      ).rows.map((r) => r.after as { acted: string; value: number });
    await eventually(async () => (await breach()).length === 1, 20_000, "the error-rate guardrail breaches");
    const [entry] = await breach();
    expect(entry!.value).toBe(0.05);
    expect(entry!.acted).toMatch(
      /^notified instead of rolling back: on is not shown worse than off \(on: 5 % errors, off: 5 %, [\d.]+×( worse| \(better\))?, evidence \S+ < 33 → no action\)$/,
    );
    expect((await guardrails(key)).find((g) => g.metric === "error_rate")!.lastVerdict!.breached).toBe(true);
    const stored = await evidence(key);
    expect(stored?.verdicts.errors?.verdict).toBe("clear");
    expect(stored?.acted).toEqual({});
    // The API (and the flag page) show the same comparison.
    const listed = await call(app.url, "GET", `/api/v1/flags/${key}/environments/production/guardrails`, { token: ROLE_TOKENS.viewer });
    expect(listed.body.comparison.tests[0]).toEqual({
      test: "errors",
      verdict: "clear",
      explanation: stored!.verdicts.errors!.explanation,
      acted: null,
    });
    expect(listed.body.comparison.tests.map((x: { test: string }) => x.test)).toEqual([
      "errors",
      "latency_relative",
      "latency_absolute",
      "sample_ratio",
    ]);
    // Even arms: no mismatch to hold for.
    expect(listed.body.comparison.tests[3].verdict).not.toBe("alarm");
    await eventually(
      () => alerts(key).some((a) => a.rollgate.kind === "guardrail.breached"),
      10_000,
      "the notification reached the webhook",
    );
    expect(alerts(key).map((a) => a.rollgate.kind)).toEqual(["guardrail.breached"]);
    expect((await evaluate(key)).body.reason).not.toBe("DISABLED");
    expect(await incidentsOf(key)).toEqual([]);
  });

  it("on worse than off while off itself is 10× its own rate before (an incident): notified, not killed", async () => {
    const key = `compare-${process.pid}-${++seq}`;
    expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
    expect((await patchFlagState(app.url, eng, key, "production", { enabled: true, rolloutPercent: 50 })).status).toBe(200);
    // The split has been live for 12 min: 8 quiet minutes (1,000 requests and 5 erroring users per arm).
    const now = Date.now();
    const minute = (m: number) => new Date(Math.floor(now / 60_000) * 60_000 + m * 60_000);
    await t.sql(`UPDATE flag_states SET updated_at = $2 FROM flags f WHERE f.id = flag_id AND f.key = $1`, [key, minute(-12)]);
    for (let m = -10; m <= -3; m++) {
      for (const variant of ["on", "off"]) {
        await t.sql(
          `INSERT INTO metric_rollups (flag_id, environment_key, variant, minute, phase, reason, requests, errors, error_subjects)
           SELECT id, 'production', $2, $3, -1, 'SPLIT', 1000, 5, 5 FROM flags WHERE key = $1`,
          [key, variant, minute(m)],
        );
      }
    }
    const set = await call(app.url, "PUT", `/api/v1/flags/${key}/environments/production/guardrails`, {
      token: ROLE_TOKENS.oncall,
      body: { guardrails: SEED_GUARDRAILS.map((g) => ({ ...g })) },
    });
    expect(set.status).toBe(200);
    // Now both arms fail far more, `on` three times as often: the comparison alone would kill.
    await send(key, 2000, { on: 0.15, off: 0.05 });
    // The claim is written first and the audit entry once the action is done: wait for the entry.
    const audited = () =>
      t.sql(`SELECT after, reason FROM audit_log WHERE action = 'guardrail.evidence' AND target_id = $1`, [`${key}/production`]);
    await eventually(async () => (await audited()).rows.length > 0, 20_000, "the errors alarm acts");
    expect((await evidence(key))!.acted.errors).toBe("notified");
    const audit = await audited();
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].reason).toMatch(
      /^on: [\d.]+ % errors, off: [\d.]+ %, [\d.]+× worse, evidence \S+ ≥ 33, but off is up too \(2 % in the last minutes against 0\.5 % before\): an incident on both arms → notify, not kill$/,
    );
    expect(audit.rows[0].after).toMatchObject({ acted: "notified", weather: { elevated: true, baselineRate: 0.005 } });
    // The error-rate threshold on `on` (15 % > 1 %) is demoted too, and says why.
    const breach = async () =>
      (
        await t.sql(
          `SELECT after FROM audit_log WHERE action = 'guardrail.breach' AND target_id = $1 AND after->>'metric' = 'error_rate'`,
          [`${key}/production`],
        )
      ).rows.map((r) => r.after as { acted: string });
    await eventually(async () => (await breach()).length === 1, 20_000, "the error-rate guardrail breaches");
    expect((await breach())[0]!.acted).toMatch(/^notified instead of rolling back: off is up too, an incident on both arms \(/);
    await eventually(
      () => alerts(key).some((a) => a.text.includes("an incident on both arms")),
      10_000,
      "the notification reached the webhook",
    );
    expect((await evaluate(key)).body.reason).not.toBe("DISABLED");
    expect(await incidentsOf(key)).toEqual([]);
  });

  it("5 % errors on `on`, 0.5 % on `off`: killed within 30 s, and the incident quotes the evidence", async () => {
    const key = await splitFlag();
    const started = Date.now();
    await send(key, 1000, { on: 0.05, off: 0.005 });
    await eventually(async () => (await evaluate(key)).body.reason === "DISABLED", 30_000, "the comparison kills the flag");
    expect(Date.now() - started).toBeLessThan(30_000);
    // The kill opens its incident in the same transaction: once SDKs are served off, it is there.
    const [incident, ...more] = await incidentsOf(key);
    expect(more).toEqual([]);
    expect(incident!.reason).toMatch(
      /^guardrail \(errors, on vs off\): on: 5 % errors, off: 0\.5 %, (9\.\d|10)× worse, evidence \S+ ≥ 33 → kill$/,
    );
    // The evidence's audit entry is written in the kill's own transaction: there with the kill, never
    // without it (the same xmin: one transaction inserted both rows).
    const audit = await t.sql(
      `SELECT action, after, xmin::text AS tx FROM audit_log WHERE action IN ('guardrail.evidence', 'flag_state.kill') AND target_id = $1 ORDER BY id`,
      [`${key}/production`],
    );
    expect(audit.rows.map((r) => r.action)).toEqual(["flag_state.kill", "guardrail.evidence"]);
    expect(audit.rows[1].tx).toBe(audit.rows[0].tx);
    audit.rows.shift();
    expect(audit.rows[0].after).toMatchObject({
      test: "errors",
      on: { requests: 1000, events: 50 },
      off: { requests: 1000, events: 5 },
      dryRun: false,
    });
    expect(audit.rows[0].after.acted).toMatch(/^killed the flag \(incident [0-9a-f-]{36}\)$/);
  });
});
