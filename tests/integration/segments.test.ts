// Segments over real HTTP: create, read, edit with optimistic locking, delete only when unused, the
// confirmation a live rollout's segment needs, bad input refused with nothing changed, and an edit
// reaching an SDK connected to the stream.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { RollgateClient } from "../../lib/sdk";
import { eventually } from "../support/eventually";

const eng = ROLE_TOKENS.engineer;
const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`;
const staffRule = { contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] };

async function createSegment(name: string, constraints: unknown[] = [staffRule]) {
  const res = await call(app.url, "POST", "/api/v1/segments", { token: eng, body: { name, constraints } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: number; name: string; version: number };
}

async function createFlag(key: string) {
  const res = await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } });
  expect(res.status).toBe(201);
}

/** Sets the flag's targeting in `env` to one strategy using `segmentId`, at the state's current version. */
async function targetSegment(key: string, env: string, segmentId: number) {
  const flag = await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng });
  const res = await call(app.url, "PATCH", `/api/v1/flags/${key}/environments/${env}`, {
    token: eng,
    body: {
      version: flag.body.environments[env].version,
      enabled: true,
      targeting: { strategies: [{ rollout: 100, segments: [segmentId] }] },
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function counts() {
  const r = await t.sql(
    `SELECT (SELECT count(*) FROM segments)::int AS segments, (SELECT coalesce(sum(version), 0) FROM segments)::int AS versions,
            (SELECT count(*) FROM audit_log)::int AS audit, (SELECT string_agg(config_version::text, ',' ORDER BY key) FROM environments) AS config`,
  );
  return r.rows[0] as { segments: number; versions: number; audit: number; config: string };
}

describe("segments API", () => {
  it("creates, lists, reads and edits a segment with optimistic locking, each change audited", async () => {
    const name = unique("Staff");
    const created = await createSegment(name);
    expect(created).toMatchObject({ name, description: "", constraints: [staffRule], version: 1 });

    const clash = await call(app.url, "POST", "/api/v1/segments", {
      token: eng,
      body: { name: name.toUpperCase(), constraints: [staffRule] },
    });
    expect(clash.status).toBe(409);
    expect(clash.body.error.fields.name).toBe("already used by another segment");

    const list = await call(app.url, "GET", "/api/v1/segments", { token: ROLE_TOKENS.viewer });
    expect(list.status).toBe(200);
    expect(list.body.segments.find((s: { id: number }) => s.id === created.id)).toMatchObject({ name, usedBy: 0, liveRollouts: 0 });

    const got = await call(app.url, "GET", `/api/v1/segments/${created.id}`, { token: ROLE_TOKENS.viewer });
    expect(got.body).toMatchObject({ id: created.id, name, usage: [] });

    const newRule = { contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com", "@acme.io"], caseInsensitive: true };
    const edited = await call(app.url, "PATCH", `/api/v1/segments/${created.id}`, {
      token: ROLE_TOKENS.admin,
      body: { version: 1, constraints: [newRule], description: "Everyone at Acme" },
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ version: 2, constraints: [newRule], description: "Everyone at Acme" });

    const stale = await call(app.url, "PATCH", `/api/v1/segments/${created.id}`, { token: eng, body: { version: 1, name: "Other" } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("VERSION_CONFLICT");
    expect(stale.body.current).toMatchObject({ version: 2, name, constraints: [newRule] });

    const audit = await t.sql(`SELECT action, before, after FROM audit_log WHERE target_type = 'segment' AND target_id = $1 ORDER BY id`, [
      String(created.id),
    ]);
    expect(audit.rows.map((r) => r.action)).toEqual(["segment.create", "segment.update"]);
    expect(audit.rows[1].before.constraints).toEqual([staffRule]);
    expect(audit.rows[1].after.constraints).toEqual([newRule]);
  });

  it("of truly concurrent edits with the same version exactly one wins; the others get 409 with the winner's state", async () => {
    const segment = await createSegment(unique("Race"));
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        call(app.url, "PATCH", `/api/v1/segments/${segment.id}`, {
          token: eng,
          body: { version: 1, constraints: [{ contextName: "userId", operator: "IN", values: [`writer-${i}`] }] },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409]);
    const winner = results.find((r) => r.status === 200)!.body;
    for (const loser of results.filter((r) => r.status === 409)) expect(loser.body.current.constraints).toEqual(winner.constraints);
    const row = await t.sql(`SELECT version, constraints FROM segments WHERE id = $1`, [segment.id]);
    expect(row.rows[0]).toEqual({ version: 2, constraints: winner.constraints });
    const audit = await t.sql(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'segment.update' AND target_id = $1`, [
      String(segment.id),
    ]);
    expect(audit.rows[0].n).toBe(1);
  });

  it("lists who uses a segment, refuses to delete it while used, and deletes it once unused", async () => {
    const segment = await createSegment(unique("Beta"));
    const key = unique("uses-segment");
    await createFlag(key);
    await targetSegment(key, "staging", segment.id);

    const got = await call(app.url, "GET", `/api/v1/segments/${segment.id}`, { token: eng });
    expect(got.body.usage).toEqual([{ flagKey: key, environment: "staging", archived: false, rollout: null }]);
    const list = await call(app.url, "GET", "/api/v1/segments", { token: eng });
    expect(list.body.segments.find((s: { id: number }) => s.id === segment.id).usedBy).toBe(1);

    const before = await counts();
    const refused = await call(app.url, "DELETE", `/api/v1/segments/${segment.id}`, { token: eng });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain(`${key} in staging`);
    expect(refused.body.usage).toHaveLength(1);
    expect(await counts()).toEqual(before);

    const flag = await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng });
    const cleared = await call(app.url, "PATCH", `/api/v1/flags/${key}/environments/staging`, {
      token: eng,
      body: { version: flag.body.environments.staging.version, targeting: null },
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body.targeting).toBeNull();

    const deleted = await call(app.url, "DELETE", `/api/v1/segments/${segment.id}`, { token: ROLE_TOKENS.admin });
    expect(deleted.status).toBe(204);
    expect((await call(app.url, "GET", `/api/v1/segments/${segment.id}`, { token: eng })).status).toBe(404);
    const audit = await t.sql(`SELECT before FROM audit_log WHERE action = 'segment.delete' AND target_id = $1`, [String(segment.id)]);
    expect(audit.rows[0].before.name).toBe(segment.name);
  });

  it("a segment only a draft rollout's phase plans to serve is listed as planned, not 'not used', and is not deleted", async () => {
    const segment = await createSegment(unique("planned"));
    const key = unique("planned-flag");
    await createFlag(key);
    const draft = await call(app.url, "POST", "/api/v1/rollouts", {
      token: eng,
      body: { flagKey: key, environment: "production", phases: [{ name: "Staff", percent: 0, segments: [segment.id] }] },
    });
    expect(draft.status, JSON.stringify(draft.body)).toBe(201);
    const list = await call(app.url, "GET", "/api/v1/segments", { token: ROLE_TOKENS.viewer });
    expect(list.body.segments.find((s: { id: number }) => s.id === segment.id)).toMatchObject({ usedBy: 0, liveRollouts: 0, plannedBy: 1 });
    expect((await call(app.url, "DELETE", `/api/v1/segments/${segment.id}`, { token: eng })).status).toBe(409);
  });

  it("an edit that changes who matches a segment a live rollout uses needs confirm: true, and is audited with the rollouts", async () => {
    const segment = await createSegment(unique("Internal"));
    /** A flag whose production targeting uses the segment, with an active rollout. */
    const liveRolloutTargeting = async (key: string) => {
      await createFlag(key);
      await targetSegment(key, "production", segment.id);
      const planned = await call(app.url, "POST", "/api/v1/rollouts", {
        token: eng,
        body: { flagKey: key, environment: "production", phases: [{ name: "10 %", percent: 10, minSoakSeconds: 0 }] },
      });
      expect(planned.status).toBe(201);
      const started = await call(app.url, "POST", `/api/v1/rollouts/${planned.body.id}/advance`, { token: eng, body: { version: 1 } });
      expect(started.body.status).toBe("active");
      return planned;
    };
    const key = unique("live-segment");
    const planned = await liveRolloutTargeting(key);

    const before = await counts();
    const change = { version: 1, constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.dev"] }] };
    const unconfirmed = await call(app.url, "PATCH", `/api/v1/segments/${segment.id}`, { token: eng, body: change });
    expect(unconfirmed.status).toBe(409);
    expect(unconfirmed.body.error.fields.confirm).toEqual(expect.any(String));
    expect(unconfirmed.body.rollouts).toEqual([{ id: planned.body.id, status: "active", flagKey: key, environment: "production" }]);
    expect(await counts()).toEqual(before);

    // A description does not change who matches: no confirmation needed.
    const described = await call(app.url, "PATCH", `/api/v1/segments/${segment.id}`, {
      token: eng,
      body: { version: 1, description: "internal users" },
    });
    expect(described.status).toBe(200);

    // A confirmation covers the rollouts it named: one that started using the segment since is refused.
    const otherKey = unique("live-segment-2");
    const other = await liveRolloutTargeting(otherKey);
    const middle = await counts();
    const stale = await call(app.url, "PATCH", `/api/v1/segments/${segment.id}`, {
      token: eng,
      body: { ...change, version: 2, confirm: true, confirmRollouts: [planned.body.id], reason: "acme.dev is the staff domain now" },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toContain(`since you confirmed (${otherKey} in production, active)`);
    expect(stale.body.unconfirmed).toEqual([other.body.id]);
    expect(stale.body.rollouts.map((r: { id: string }) => r.id).sort()).toEqual([planned.body.id, other.body.id].sort());
    expect(await counts()).toEqual(middle);

    const confirmed = await call(app.url, "PATCH", `/api/v1/segments/${segment.id}`, {
      token: eng,
      body: {
        ...change,
        version: 2,
        confirm: true,
        confirmRollouts: [planned.body.id, other.body.id],
        reason: "acme.dev is the staff domain now",
      },
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.usage.map((u: { rollout: unknown }) => u.rollout)).toContainEqual({ id: planned.body.id, status: "active" });
    const audit = await t.sql(
      `SELECT after, reason FROM audit_log WHERE action = 'segment.update' AND target_id = $1 ORDER BY id DESC LIMIT 1`,
      [String(segment.id)],
    );
    expect(audit.rows[0].after.confirmed).toBe(true);
    expect(audit.rows[0].after.rollouts.map((r: { id: string }) => r.id).sort()).toEqual([planned.body.id, other.body.id].sort());
    expect(audit.rows[0].reason).toBe("acme.dev is the staff domain now");
  });

  it.each([
    ["no name", { constraints: [staffRule] }, "name"],
    ["no constraints", { name: "Empty", constraints: [] }, "constraints"],
    [
      "a bad operator",
      { name: "Bad op", constraints: [{ contextName: "email", operator: "ENDS", values: ["x"] }] },
      "constraints.0.operator",
    ],
    [
      "a bad semver",
      { name: "Bad v", constraints: [{ contextName: "appVersion", operator: "SEMVER_GT", value: "two" }] },
      "constraints.0.value",
    ],
    [
      "a bad CIDR",
      { name: "Bad ip", constraints: [{ contextName: "remoteAddress", operator: "IN_CIDR", values: ["10.0.0.0/99"] }] },
      "constraints.0.values.0",
    ],
    ["an unknown field", { name: "Extra", constraints: [staffRule], colour: "red" }, "body"],
  ])("POST with %s is 400 on %s and changes nothing", async (_name, body, field) => {
    const before = await counts();
    const res = await call(app.url, "POST", "/api/v1/segments", { token: eng, body });
    expect(res.status).toBe(400);
    expect(res.body.error.fields[field], JSON.stringify(res.body)).toEqual(expect.any(String));
    expect(await counts()).toEqual(before);
  });

  it("names no segment with an id that is not one (404, not a database error)", async () => {
    for (const id of ["0", "abc", "99999999", "1.5", "-1"]) {
      expect((await call(app.url, "GET", `/api/v1/segments/${id}`, { token: eng })).status).toBe(404);
      expect((await call(app.url, "PATCH", `/api/v1/segments/${id}`, { token: eng, body: { version: 1, name: "x" } })).status).toBe(404);
      expect((await call(app.url, "DELETE", `/api/v1/segments/${id}`, { token: eng })).status).toBe(404);
    }
  });
});

describe("a segment edit reaches the data plane", () => {
  let client: RollgateClient;
  beforeAll(async () => {
    client = await RollgateClient.connect({ url: app.url, sdkKey: SDK_TOKEN });
  });
  afterAll(async () => {
    await client?.close();
  });

  it("bumps the configuration of the environments using it (and no other), and a connected SDK receives the new constraints as a patch", async () => {
    const segment = await createSegment(unique("Streamed"));
    const key = unique("streamed-flag");
    await createFlag(key);
    await targetSegment(key, "production", segment.id);
    await eventually(() => client.configuration()?.segments?.[String(segment.id)] !== undefined, 5000, "the SDK sees the segment");
    expect(client.configuration()!.flags[key]!.targeting!.strategies[0]!.segments).toEqual([segment.id]);

    const versions = async () =>
      Object.fromEntries((await t.sql(`SELECT key, config_version::int AS v FROM environments`)).rows.map((r) => [r.key, r.v]));
    const before = await versions();
    const snapshotsBefore = client.streamStats.snapshots;
    const rule = { contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.org"] };
    const edited = await call(app.url, "PATCH", `/api/v1/segments/${segment.id}`, {
      token: eng,
      body: { version: 1, constraints: [rule] },
    });
    expect(edited.status).toBe(200);
    const after = await versions();
    expect(after.production).toBe(before.production + 1);
    expect(after.staging).toBe(before.staging);

    await eventually(() => client.version === after.production, 5000, "the SDK reaches the new version");
    expect(client.configuration()!.segments![String(segment.id)]).toEqual({ id: segment.id, name: segment.name, constraints: [rule] });
    expect(client.streamStats.snapshots).toBe(snapshotsBefore); // it came as a patch
  });
});
