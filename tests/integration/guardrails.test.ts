import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, patchFlagState, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { eventually } from "../support/eventually";
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
async function liveFlag(): Promise<string> {
  const key = `guard-${process.pid}-${++seq}`;
  expect((await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } })).status).toBe(201);
  expect((await patchFlagState(app.url, eng, key, "production", { enabled: true, rolloutPercent: 100 })).status).toBe(200);
  await eventually(async () => (await evaluate(key)).body.value === true, 10_000, "SDKs serve the flag on");
  return key;
}

async function sendOn(key: string, n: number, errorShare: number) {
  const events = Array.from({ length: n }, (_, i) => ({
    flagKey: key,
    variant: "on",
    outcome: i < n * errorShare ? "error" : "success",
    latencyMs: 30,
    errorCode: i < n * errorShare ? "HTTP_503" : undefined,
    targetingKey: `u-${i}`,
  }));
  expect((await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { events } })).status).toBe(202);
}

const evaluate = (key: string) =>
  call(app.url, "POST", `/ofrep/v1/evaluate/flags/${key}`, { token: SDK_TOKEN, body: { context: { targetingKey: "someone" } } });
const killRule = { metric: "error_rate", threshold: 0.01, windowSeconds: 60, minSamples: 40, action: "kill" };

/**
 * A rollout of `key` advanced to 50 % in production, from 5 % before it: rolling back narrows exposure
 * (a roll back that would widen it kills instead: tests/integration/rollouts-api.test.ts).
 */
async function rolloutAt50(key: string, plan: Record<string, unknown> = {}): Promise<string> {
  expect((await patchFlagState(app.url, eng, key, "production", { rolloutPercent: 5 })).status).toBe(200);
  const created = await call(app.url, "POST", "/api/v1/rollouts", {
    token: eng,
    body: { flagKey: key, environment: "production", phases: [{ name: "50 %", percent: 50 }], ...plan },
  });
  const advanced = await call(app.url, "POST", `/api/v1/rollouts/${created.body.id}/advance`, { token: eng, body: { version: 1 } });
  expect(advanced.status).toBe(200);
  return created.body.id;
}

/** A roll-back guardrail on `key`, traffic that breaches it (10 % errors), and the wait for the roll back. */
async function breachUntilRolledBack(key: string, rolloutId: string, what: string): Promise<void> {
  await call(app.url, "PUT", `/api/v1/flags/${key}/environments/production/guardrails`, {
    token: eng,
    body: { guardrails: [{ ...killRule, action: "rollback" }] },
  });
  await sendOn(key, 60, 0.1);
  await eventually(
    async () => (await call(app.url, "GET", `/api/v1/rollouts/${rolloutId}`, { token: eng })).body.status === "rolled_back",
    10_000,
    what,
  );
}
const guardrail = async (key: string) =>
  (await call(app.url, "GET", `/api/v1/flags/${key}/environments/production/guardrails`, { token: ROLE_TOKENS.viewer })).body.guardrails[0];
const auditCount = async (action: string, key: string): Promise<number> =>
  (await t.sql(`SELECT count(*)::int AS n FROM audit_log WHERE action = $1 AND target_id = $2`, [action, `${key}/production`])).rows[0].n;
const alerts = (key: string, kind: string) =>
  receiver
    .received("/alerts")
    .map((r) => JSON.parse(r.body) as { rollgate: { kind: string; flagKey: string } })
    .filter((b) => b.rollgate.flagKey === key && b.rollgate.kind === kind);

describe("guardrails", () => {
  it("errors on `on` over the threshold kill the flag once: SDKs serve off, an incident opens, the webhook fires", async () => {
    const key = await liveFlag();
    const set = await call(app.url, "PUT", `/api/v1/flags/${key}/environments/production/guardrails`, {
      token: ROLE_TOKENS.oncall,
      body: { guardrails: [killRule] },
    });
    expect(set.status).toBe(200);
    await sendOn(key, 30, 0.2); // below the minimum of 40 samples: not judged
    // The worker has looked at those 30 requests once its verdict counts them; only then is "nothing happened" news.
    await eventually(async () => (await guardrail(key)).lastVerdict?.samples === 30, 10_000, "a guardrail pass over the 30 requests");
    expect((await guardrail(key)).lastVerdict).toMatchObject({
      judged: false,
      breached: false,
      value: null,
      message: "not judged: 30 of 40 requests needed in 1 min",
    });
    expect((await guardrail(key)).breachedSince).toBeNull();
    expect(await auditCount("guardrail.breach", key)).toBe(0);
    expect((await evaluate(key)).body.value).toBe(true);

    await sendOn(key, 30, 0.2);
    await eventually(async () => (await evaluate(key)).body.reason === "DISABLED", 10_000, "the guardrail kills the flag");
    const incidents = await call(app.url, "GET", "/api/v1/incidents", { token: ROLE_TOKENS.viewer });
    const incident = incidents.body.incidents.find((i: { flagKey: string }) => i.flagKey === key);
    expect(incident).toMatchObject({ openedBy: "system (guardrail)", reason: "guardrail: error rate 20 % > 1 % over 1 min, 60 requests" });
    // The guardrail's own audit entry is in the kill's transaction (one xmin for both rows), so it is
    // there as soon as SDKs are served off, and names the incident.
    const entries = await t.sql(
      `SELECT action, after, xmin::text AS tx FROM audit_log WHERE action IN ('flag_state.kill', 'guardrail.breach') AND target_id = $1 ORDER BY id`,
      [`${key}/production`],
    );
    expect(entries.rows.map((r) => r.action)).toEqual(["flag_state.kill", "guardrail.breach"]);
    expect(entries.rows[1].tx).toBe(entries.rows[0].tx);
    expect(entries.rows[1].after.acted).toBe(`killed the flag (incident ${incident.id})`);
    await eventually(() => alerts(key, "flag.killed").length === 1, 10_000, "the kill reached the webhook");

    await sendOn(key, 30, 0.5); // still breached: no second action
    // A pass that counted all 90 requests (12 + 15 errors) has judged the breach again and let it be.
    await eventually(async () => (await guardrail(key)).lastVerdict?.samples === 90, 10_000, "a guardrail pass over all 90 requests");
    const verdict = await guardrail(key);
    expect(verdict.lastVerdict).toMatchObject({
      breached: true,
      judged: true,
      value: 0.3,
      message: "error rate 30 % > 1 % over 1 min, 90 requests",
      acted: "already acted on this breach",
    });
    expect(verdict.breachedSince).toBe(incident.openedAt); // the breach that acted, still open
    expect(await auditCount("guardrail.breach", key)).toBe(1);
    expect(await auditCount("flag_state.kill", key)).toBe(1);
  });

  it("a dry run records and announces the verdict without acting", async () => {
    const key = await liveFlag();
    const set = await call(app.url, "PUT", `/api/v1/flags/${key}/environments/production/guardrails`, {
      token: eng,
      body: { guardrails: [killRule], dryRun: true },
    });
    expect(set.status).toBe(200);
    await sendOn(key, 50, 0.1);
    // The breach's audit entry, not the last verdict: the next look (300 ms on) rewrites that to
    // "dry run: already reported this breach", and a loaded machine can poll past the moment in between.
    const breaches = async () =>
      (await t.sql(`SELECT after FROM audit_log WHERE action = 'guardrail.breach' AND target_id = $1 ORDER BY id`, [`${key}/production`]))
        .rows;
    await eventually(async () => (await breaches()).length > 0, 10_000, "a dry-run verdict");
    expect((await breaches()).map((r) => r.after)).toEqual([
      expect.objectContaining({ acted: "dry run: would kill", dryRun: true, samples: 50 }),
    ]);
    // Later looks at the same breach say it was reported, never that it was acted on.
    await eventually(
      async () => (await guardrail(key)).lastVerdict?.acted === "dry run: already reported this breach",
      10_000,
      "a later look at the dry run's breach",
    );
    expect((await evaluate(key)).body.value).toBe(true);
    await eventually(() => alerts(key, "guardrail.breached").length === 1, 10_000, "the dry-run alert");
  });

  it("roll back acts on a live rollout: the flag returns to its state before the rollout, and every webhook hears why", async () => {
    const key = await liveFlag();
    // A communication plan that names no webhook: the rollout's own steps are announced to none.
    const rolloutId = await rolloutAt50(key, { notifyWebhookIds: [] });
    await breachUntilRolledBack(key, rolloutId, "the rollout rolled back");
    const flag = await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng });
    expect(flag.body.environments.production).toMatchObject({ enabled: true, rolloutPercent: 5, killed: false });
    // Safety first: the breach and what it did reach every enabled webhook, whatever the plan says.
    await eventually(() => alerts(key, "guardrail.breached").length === 1, 10_000, "the breach announced");
    const [breach] = alerts(key, "guardrail.breached") as unknown as { text: string; rollgate: { fields: Record<string, string> } }[];
    expect(breach!.rollgate.fields.Action).toBe("rolled the rollout back");
    expect(breach!.text).toMatch(
      /^:rotating_light: .* in production: error rate 10 % &gt; 1 % over 1 min, 60 requests \(rolled the rollout back\)$/,
    );
    expect(alerts(key, "rollout.rolled_back")).toEqual([]);
  });

  it("a breach whose action failed is acted on at the next look, not taken for acted on", async () => {
    const key = await liveFlag();
    const rolloutId = await rolloutAt50(key);
    // The first roll back of this rollout fails in the database (as a transition does whose version a
    // step taken meanwhile made stale, or an outage); a sequence, not a table, because the failing
    // transaction rolls back whatever it wrote.
    const trigger = `fail_once_${rolloutId.replaceAll("-", "")}`;
    await t.sql(`CREATE SEQUENCE ${trigger}`);
    await t.sql(
      `CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
       BEGIN IF nextval('${trigger}') = 1 THEN RAISE EXCEPTION 'injected failure of the first roll back'; END IF; RETURN NEW; END $$`,
    );
    await t.sql(
      `CREATE TRIGGER ${trigger} BEFORE UPDATE ON rollouts FOR EACH ROW
       WHEN (NEW.id = '${rolloutId}'::uuid AND NEW.status = 'rolled_back') EXECUTE FUNCTION ${trigger}()`,
    );
    try {
      await breachUntilRolledBack(key, rolloutId, "the rollout rolled back at a later look");
      expect((await t.sql(`SELECT last_value::int AS n FROM ${trigger}`)).rows[0].n).toBeGreaterThanOrEqual(2); // it did fail once first
      // One breach entry, naming the roll back (the verdict itself moves on: a later look of the same
      // breach says "already acted on this breach", so it is no witness here).
      const { rows } = await t.sql(`SELECT after->>'acted' AS acted FROM audit_log WHERE action = 'guardrail.breach' AND target_id = $1`, [
        `${key}/production`,
      ]);
      expect(rows).toEqual([{ acted: "rolled the rollout back" }]);
    } finally {
      await t.sql(`DROP TRIGGER IF EXISTS ${trigger} ON rollouts`);
      await t.sql(`DROP FUNCTION IF EXISTS ${trigger}()`);
      await t.sql(`DROP SEQUENCE IF EXISTS ${trigger}`);
    }
  });

  it("eight replacements at once: each answers 200 and one set remains, never two mixed or added up", async () => {
    const key = await liveFlag();
    const sets = Array.from({ length: 8 }, (_, i) => [
      { metric: "error_rate", threshold: 0.01 + i / 100, windowSeconds: 60, minSamples: 40, action: "notify" },
      { metric: "p95_ms", threshold: 1000 + i, windowSeconds: 60, minSamples: 40, action: "notify" },
    ]);
    const answers = await Promise.all(
      sets.map((guardrails) =>
        call(app.url, "PUT", `/api/v1/flags/${key}/environments/production/guardrails`, { token: eng, body: { guardrails } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(sets.map(() => 200));
    const now = (await call(app.url, "GET", `/api/v1/flags/${key}/environments/production/guardrails`, { token: eng })).body.guardrails as {
      metric: string;
      threshold: number;
    }[];
    expect(now).toHaveLength(2);
    const which = Math.round((now.find((g) => g.metric === "error_rate")!.threshold - 0.01) * 100);
    expect(now.find((g) => g.metric === "p95_ms")!.threshold).toBe(1000 + which);
    expect(await auditCount("guardrails.set", key)).toBe(8);
  });

  it("refuses bad guardrails with field messages and viewers", async () => {
    const key = await liveFlag();
    const bad = await call(app.url, "PUT", `/api/v1/flags/${key}/environments/production/guardrails`, {
      token: eng,
      body: {
        guardrails: [
          { metric: "error_rate", threshold: 5, action: "kill" },
          { metric: "cpu", threshold: 1, action: "explode" },
        ],
      },
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(["guardrails.0.threshold", "guardrails.1.action", "guardrails.1.metric"]);
    expect(
      (
        await call(app.url, "PUT", `/api/v1/flags/${key}/environments/production/guardrails`, {
          token: ROLE_TOKENS.viewer,
          body: { guardrails: [] },
        })
      ).status,
    ).toBe(403);
    expect(
      (await call(app.url, "PUT", `/api/v1/flags/no-such/environments/production/guardrails`, { token: eng, body: { guardrails: [] } }))
        .status,
    ).toBe(404);
  });
});
