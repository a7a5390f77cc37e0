import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { ROLES } from "../../lib/auth/roles";
import { BOOTSTRAP, call, patchFlagState, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { eventually } from "../support/eventually";

const oncall = ROLE_TOKENS.oncall;

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

let seq = 0;
async function liveFlag(): Promise<string> {
  const key = `kill-${process.pid}-${++seq}`;
  expect((await call(app.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key } })).status).toBe(201);
  expect((await patchFlagState(app.url, ROLE_TOKENS.engineer, key, "production", { enabled: true, rolloutPercent: 100 })).status).toBe(200);
  return key;
}

async function counts() {
  const r = await t.sql(
    "SELECT (SELECT count(*) FROM incidents)::int AS incidents, (SELECT count(*) FROM incident_events)::int AS events, (SELECT count(*) FROM audit_log)::int AS audit, (SELECT coalesce(sum(version),0) FROM flag_states)::int AS states",
  );
  return r.rows[0];
}

const evaluate = (key: string) =>
  call(app.url, "POST", `/ofrep/v1/evaluate/flags/${key}`, { token: SDK_TOKEN, body: { context: { targetingKey: "user-1" } } });

describe("kill switch", () => {
  it("kills at once for SDKs, opens one incident, is idempotent, and restore brings the state back", async () => {
    const key = await liveFlag();
    await eventually(async () => (await evaluate(key)).body.value === true, 10_000, "SDKs serve the flag on");
    const killed = await call(app.url, "POST", `/api/v1/flags/${key}/environments/production/kill`, {
      token: oncall,
      body: { reason: "checkout errors" },
    });
    expect(killed.status).toBe(200);
    expect(killed.body).toMatchObject({ killed: true, enabled: true, rolloutPercent: 100 });
    await eventually(async () => (await evaluate(key)).body.reason === "DISABLED", 5000, "SDKs serve off");
    expect((await evaluate(key)).body.value).toBe(false);

    const again = await call(app.url, "POST", `/api/v1/flags/${key}/environments/production/kill`, {
      token: ROLE_TOKENS.admin,
      body: { reason: "again" },
    });
    expect(again.status).toBe(200);
    expect(again.body.incidentId).toBe(killed.body.incidentId);
    expect(again.body.version).toBe(killed.body.version);
    const incidents = await t.sql(`SELECT count(*)::int AS n FROM incidents i JOIN flags f ON f.id = i.flag_id WHERE f.key = $1`, [key]);
    expect(incidents.rows[0].n).toBe(1);

    const incident = await call(app.url, "GET", `/api/v1/incidents/${killed.body.incidentId}`, { token: ROLE_TOKENS.viewer });
    expect(incident.body).toMatchObject({
      title: `${key} killed in production`,
      status: "open",
      reason: "checkout errors",
      openedBy: "oncall-bot (token)",
    });
    expect(incident.body.timeline.map((e: { kind: string }) => e.kind)).toContain("killed");

    // The charts mark the kill.
    const metrics = await call(app.url, "GET", `/api/v1/flags/${key}/metrics?environment=production&windowSeconds=3600&bucketSeconds=60`, {
      token: ROLE_TOKENS.viewer,
    });
    expect(metrics.body.markers).toEqual([{ t: expect.any(String), kind: "kill", label: "kill by oncall-bot (token)" }]);

    const noReason = await call(app.url, "POST", `/api/v1/flags/${key}/environments/production/restore`, { token: oncall, body: {} });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.fields).toEqual({ reason: "reason is required" });
    const restored = await call(app.url, "POST", `/api/v1/flags/${key}/environments/production/restore`, {
      token: oncall,
      body: { reason: "fix deployed" },
    });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ killed: false, enabled: true, rolloutPercent: 100 });
    await eventually(async () => (await evaluate(key)).body.value === true, 5000, "SDKs serve on again");
    const open = await call(app.url, "GET", "/api/v1/incidents", { token: ROLE_TOKENS.viewer });
    expect(open.body.incidents.map((i: { id: string }) => i.id)).toContain(killed.body.incidentId);
  });

  it("only on-call and admins may kill or restore; refusals and bad input change nothing", async () => {
    const key = await liveFlag();
    const before = await counts();
    for (const role of ROLES.filter((r) => r !== "oncall" && r !== "admin")) {
      const res = await call(app.url, "POST", `/api/v1/flags/${key}/environments/production/kill`, {
        token: ROLE_TOKENS[role],
        body: { reason: "not mine to kill" },
      });
      expect([role, res.status]).toEqual([role, 403]);
    }
    expect(
      (await call(app.url, "POST", `/api/v1/flags/${key}/environments/production/kill`, { token: SDK_TOKEN, body: { reason: "sdk" } }))
        .status,
    ).toBe(403);
    expect((await call(app.url, "POST", `/api/v1/flags/${key}/environments/production/kill`, { body: { reason: "anon" } })).status).toBe(
      401,
    );
    const noReason = await call(app.url, "POST", `/api/v1/flags/${key}/environments/production/kill`, {
      token: oncall,
      body: { reason: " " },
    });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.fields.reason).toBe("say why (at least 3 characters)");
    expect(
      (await call(app.url, "POST", `/api/v1/flags/no-such-flag/environments/production/kill`, { token: oncall, body: { reason: "x y z" } }))
        .status,
    ).toBe(404);
    expect(
      (await call(app.url, "POST", `/api/v1/flags/${key}/environments/moon/kill`, { token: oncall, body: { reason: "x y z" } })).status,
    ).toBe(404);
    expect(await counts()).toEqual(before);
  });

  it("10 concurrent kills: one state change, one incident", async () => {
    const key = await liveFlag();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(app.url, "POST", `/api/v1/flags/${key}/environments/production/kill`, { token: oncall, body: { reason: `page ${i}` } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    expect(new Set(results.map((r) => r.body.incidentId)).size).toBe(1);
    const audit = await t.sql(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'flag_state.kill' AND target_id = $1`, [
      `${key}/production`,
    ]);
    expect(audit.rows[0].n).toBe(1);
  });

  it("break-glass mid-rollout: the kill pauses the rollout and records it; restore does not resume it", async () => {
    const key = await liveFlag();
    const created = await call(app.url, "POST", "/api/v1/rollouts", {
      token: ROLE_TOKENS.engineer,
      body: {
        flagKey: key,
        environment: "production",
        phases: [
          { name: "10 %", percent: 10 },
          { name: "50 %", percent: 50, requiredApprovals: 1 },
        ],
      },
    });
    expect(
      (await call(app.url, "POST", `/api/v1/rollouts/${created.body.id}/advance`, { token: ROLE_TOKENS.engineer, body: { version: 1 } }))
        .status,
    ).toBe(200);
    const killed = await call(app.url, "POST", `/api/v1/flags/${key}/environments/production/kill`, {
      token: oncall,
      body: { reason: "latency" },
    });
    expect(killed.status).toBe(200);
    const rollout = await call(app.url, "GET", `/api/v1/rollouts/${created.body.id}`, { token: oncall });
    expect(rollout.body.status).toBe("paused");
    const incident = await call(app.url, "GET", `/api/v1/incidents/${killed.body.incidentId}`, { token: oncall });
    expect(incident.body.rolloutId).toBe(created.body.id);
    expect(incident.body.timeline.find((e: { kind: string }) => e.kind === "killed").message).toContain(
      "break-glass: rollout active in 10 %, 1 approval(s) pending",
    );
    const advance = await call(app.url, "POST", `/api/v1/rollouts/${created.body.id}/advance`, {
      token: ROLE_TOKENS.engineer,
      body: { version: rollout.body.version },
    });
    expect(advance.status).toBe(409);
    await call(app.url, "POST", `/api/v1/flags/${key}/environments/production/restore`, { token: oncall, body: { reason: "ok now" } });
    expect((await call(app.url, "GET", `/api/v1/rollouts/${created.body.id}`, { token: oncall })).body.status).toBe("paused");
  });

  it("incidents are acknowledged and resolved with a report (versioned), downloadable as Markdown", async () => {
    const key = await liveFlag();
    const killed = await call(app.url, "POST", `/api/v1/flags/${key}/environments/production/kill`, {
      token: oncall,
      body: { reason: "5xx | spike" },
    });
    const id = killed.body.incidentId;
    expect(
      (await call(app.url, "POST", `/api/v1/incidents/${id}/acknowledge`, { token: ROLE_TOKENS.viewer, body: { version: 1 } })).status,
    ).toBe(403);
    const ack = await call(app.url, "POST", `/api/v1/incidents/${id}/acknowledge`, {
      token: oncall,
      body: { version: 1, note: "looking" },
    });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ status: "acknowledged", version: 2 });
    expect(
      (await call(app.url, "POST", `/api/v1/incidents/${id}/resolve`, { token: oncall, body: { version: 1, summary: "stale" } })).status,
    ).toBe(409);
    const bad = await call(app.url, "POST", `/api/v1/incidents/${id}/resolve`, { token: oncall, body: { version: 2, summary: "" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toEqual({ summary: "summarise what happened" });
    const resolved = await call(app.url, "POST", `/api/v1/incidents/${id}/resolve`, {
      token: ROLE_TOKENS.engineer,
      body: {
        version: 2,
        summary: "A bad build raised 5xx on checkout",
        impact: "3 % of checkouts failed for 6 min",
        rootCause: "null pointer",
        actionsTaken: "killed",
        followUps: "add a test",
      },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body.status).toBe("resolved");
    const report = await fetch(`${app.url}/api/v1/incidents/${id}/report`, { headers: { authorization: `Bearer ${ROLE_TOKENS.viewer}` } });
    expect(report.headers.get("content-type")).toContain("text/markdown");
    expect(report.headers.get("content-disposition")).toContain(`incident-${key}-`);
    const md = await report.text();
    for (const heading of [
      "# Incident report:",
      "## Summary",
      "## Impact",
      "## Timeline",
      "## Root cause",
      "## Actions taken",
      "## Follow-ups",
    ])
      expect(md).toContain(heading);
    expect(md).toContain("A bad build raised 5xx on checkout");
    expect(md).toContain("5xx \\| spike"); // user text cannot break the timeline table
    await expect(t.sql(`DELETE FROM incident_events WHERE incident_id = $1`, [id])).rejects.toThrow(/append-only/);
  });
});
