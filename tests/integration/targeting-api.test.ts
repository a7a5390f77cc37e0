// A flag state's targeting over real HTTP: stored with its defaults filled in, returned by the flag's
// GET and served to SDKs, cleared with null, validated field by field with nothing changed on bad
// input, references to segments and parent flags checked in the writing transaction, optimistic
// locking under truly concurrent writers, and a segment delete racing a flag that starts using it.
import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { RollgateClient } from "../../lib/sdk";
import { eventually } from "../support/eventually";

const eng = ROLE_TOKENS.engineer;
const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`;

async function createFlag(key: string) {
  const res = await call(app.url, "POST", "/api/v1/flags", { token: eng, body: { key } });
  expect(res.status).toBe(201);
}

async function createSegment(name: string): Promise<number> {
  const res = await call(app.url, "POST", "/api/v1/segments", {
    token: eng,
    body: { name, constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com"] }] },
  });
  expect(res.status).toBe(201);
  return res.body.id as number;
}

async function stateOf(key: string, env = "production") {
  return (await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng })).body.environments[env];
}

async function patch(key: string, body: Record<string, unknown>, env = "production") {
  return call(app.url, "PATCH", `/api/v1/flags/${key}/environments/${env}`, { token: eng, body });
}

async function counts() {
  const r = await t.sql(
    `SELECT (SELECT coalesce(sum(version), 0) FROM flag_states)::int AS versions, (SELECT count(*) FROM audit_log)::int AS audit,
            (SELECT count(*) FROM flag_state_segments)::int AS refs, (SELECT string_agg(md5(coalesce(targeting::text, '')), '') FROM flag_states) AS targeting`,
  );
  return r.rows[0];
}

describe("flag state targeting", () => {
  it("stores targeting with defaults filled in, returns it from GET, audits it, and serves it to SDKs", async () => {
    const key = unique("targeted");
    await createFlag(key);
    const segment = await createSegment(unique("Staff"));
    const targeting = {
      strategies: [
        {
          title: "Staff",
          rollout: 100,
          segments: [segment],
          constraints: [{ contextName: "appVersion", operator: "SEMVER_GTE", value: "2.1.0", values: [] }],
        },
        { rollout: 25, stickiness: "sessionId", groupId: "legacy-group" },
      ],
      variants: [
        { name: "blue", weight: 500, payload: { type: "json", value: '{"color":"blue"}' } },
        { name: "green", weight: 500 },
      ],
    };
    const res = await patch(key, { version: 1, enabled: true, targeting });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const stored = {
      strategies: [
        {
          rollout: 100,
          stickiness: "default",
          groupId: key,
          constraints: [{ contextName: "appVersion", operator: "SEMVER_GTE", value: "2.1.0" }],
          segments: [segment],
          variants: [],
          title: "Staff",
        },
        { rollout: 25, stickiness: "sessionId", groupId: "legacy-group", constraints: [], segments: [], variants: [] },
      ],
      variants: targeting.variants,
      dependencies: [],
    };
    expect(res.body).toMatchObject({ version: 2, enabled: true, targeting: stored });
    expect((await stateOf(key)).targeting).toEqual(stored);
    expect((await stateOf(key, "staging")).targeting).toBeNull();

    const audit = await t.sql(`SELECT before, after FROM audit_log WHERE action = 'flag_state.update' AND target_id = $1`, [
      `${key}/production`,
    ]);
    expect(audit.rows[0].before.targeting).toBeNull();
    expect(audit.rows[0].after.targeting).toEqual(stored);

    const client = await RollgateClient.connect({ url: app.url, sdkKey: SDK_TOKEN });
    try {
      await eventually(() => client.configuration()?.flags[key]?.version === 2, 5000, "the SDK sees the change");
      const config = client.configuration()!;
      expect(config.flags[key]!.targeting).toEqual(stored);
      expect(config.segments![String(segment)]).toMatchObject({ id: segment, constraints: [{ contextName: "email" }] });
    } finally {
      await client.close();
    }

    const cleared = await patch(key, { version: 2, targeting: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.targeting).toBeNull();
    const refs = await t.sql(`SELECT count(*)::int AS n FROM flag_state_segments WHERE segment_id = $1`, [segment]);
    expect(refs.rows[0].n).toBe(0);
  });

  const strategyWith = (constraint: unknown) => ({ strategies: [{ rollout: 50, constraints: [constraint] }] });
  it.each([
    [
      "an unknown operator",
      strategyWith({ contextName: "x", operator: "MATCHES", values: ["a"] }),
      "targeting.strategies.0.constraints.0.operator",
    ],
    [
      "a NUM value that is not a number",
      strategyWith({ contextName: "age", operator: "NUM_GT", value: "old" }),
      "targeting.strategies.0.constraints.0.value",
    ],
    [
      "a DATE value that is not ISO",
      strategyWith({ contextName: "currentTime", operator: "DATE_AFTER", value: "tomorrow" }),
      "targeting.strategies.0.constraints.0.value",
    ],
    [
      "a catastrophic REGEX",
      strategyWith({ contextName: "email", operator: "REGEX", value: "(x+x+)+y" }),
      "targeting.strategies.0.constraints.0.value",
    ],
    [
      "an IN without values",
      strategyWith({ contextName: "userId", operator: "IN", values: [] }),
      "targeting.strategies.0.constraints.0.values",
    ],
    ["a rollout above 100", { strategies: [{ rollout: 150 }] }, "targeting.strategies.0.rollout"],
    ["variants weighing nothing", { variants: [{ name: "a", weight: 0 }] }, "targeting.variants"],
    [
      "a number payload that is not one",
      { variants: [{ name: "a", weight: 1, payload: { type: "number", value: "NaN?" } }] },
      "targeting.variants.0.payload.value",
    ],
    ["51 strategies", { strategies: Array.from({ length: 51 }, () => ({ rollout: 1 })) }, "targeting.strategies"],
    ["not an object", "everyone", "targeting"],
  ])("%s is 400 on %s and changes nothing", async (_name, targeting, field) => {
    const key = unique("bad-targeting");
    await createFlag(key);
    const before = await counts();
    const res = await patch(key, { version: 1, targeting });
    expect(res.status).toBe(400);
    expect(res.body.error.fields[field], JSON.stringify(res.body)).toEqual(expect.any(String));
    expect(await counts()).toEqual(before);
  });

  it("refuses with 422 a missing segment and dependencies that are unknown, the flag itself, repeated or deeper than one level", async () => {
    const parent = unique("parent");
    const grandparent = unique("grandparent");
    const key = unique("child");
    for (const k of [parent, grandparent, key]) await createFlag(k);
    expect((await patch(parent, { version: 1, targeting: { dependencies: [{ feature: grandparent }] } })).status).toBe(200);

    const before = await counts();
    const cases: [unknown, string, RegExp][] = [
      [{ strategies: [{ rollout: 5, segments: [987654] }] }, "targeting.strategies.0.segments.0", /no segment with id 987654/],
      [{ dependencies: [{ feature: "no-such-flag" }] }, "targeting.dependencies.0.feature", /no flag/],
      [{ dependencies: [{ feature: key }] }, "targeting.dependencies.0.feature", /itself/],
      [{ dependencies: [{ feature: grandparent }, { feature: grandparent }] }, "targeting.dependencies.1.feature", /twice/],
      [{ dependencies: [{ feature: parent }] }, "targeting.dependencies.0.feature", /one level deep/],
    ];
    for (const [targeting, field, message] of cases) {
      const res = await patch(key, { version: 1, targeting });
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.error.fields[field]).toMatch(message);
    }
    // The grandparent gaining a dependency would make the parent's two levels deep.
    const deeper = await patch(grandparent, { version: 1, targeting: { dependencies: [{ feature: key }] } });
    expect(deeper.status).toBe(422);
    expect(deeper.body.error.fields["targeting.dependencies"]).toContain(parent);
    expect(await counts()).toEqual(before);

    expect((await patch(key, { version: 1, targeting: { dependencies: [{ feature: grandparent, variants: ["on"] }] } })).status).toBe(200);
  });

  it("two flags made to depend on each other at the same moment: one wins, the other is told why (10 rounds)", async () => {
    for (let round = 0; round < 10; round++) {
      const [a, b, c] = [unique("mutual-a"), unique("mutual-b"), unique("chain-c")];
      await Promise.all([createFlag(a), createFlag(b), createFlag(c)]);
      // A on B and B on A; and B on C at the same time as A on B (which would make A two levels deep).
      const [ab, ba] = await Promise.all([
        patch(a, { version: 1, targeting: { dependencies: [{ feature: b }] } }),
        patch(b, { version: 1, targeting: { dependencies: [{ feature: round % 2 ? a : c }] } }),
      ]);
      expect([ab.status, ba.status].sort(), `round ${round}: ${JSON.stringify([ab.body, ba.body])}`).toEqual([200, 422]);
      const rows = await t.sql(
        `SELECT f.key FROM flag_states s JOIN flags f ON f.id = s.flag_id
          WHERE s.environment_key = 'production' AND f.key = ANY($1) AND jsonb_array_length(coalesce(s.targeting -> 'dependencies', '[]')) > 0`,
        [[a, b]],
      );
      expect(rows.rows).toHaveLength(1);
    }
  });

  it("of truly concurrent targeting writes with the same version exactly one wins; the others get 409 with its state", async () => {
    const key = unique("race");
    await createFlag(key);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        patch(key, { version: 1, targeting: { strategies: [{ rollout: i * 10, title: `writer ${i}` }] } }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    const winner = results.find((r) => r.status === 200)!.body;
    for (const loser of results.filter((r) => r.status === 409)) expect(loser.body.current.targeting).toEqual(winner.targeting);
    expect((await stateOf(key)).targeting).toEqual(winner.targeting);
  });

  it("a segment deleted while a flag starts using it: one of the two wins, never both", async () => {
    for (let round = 0; round < 5; round++) {
      const key = unique("delete-race");
      await createFlag(key);
      const segment = await createSegment(unique("Doomed"));
      const [use, del] = await Promise.all([
        patch(key, { version: 1, targeting: { strategies: [{ rollout: 100, segments: [segment] }] } }),
        call(app.url, "DELETE", `/api/v1/segments/${segment}`, { token: eng }),
      ]);
      const outcome = `${use.status}/${del.status}`;
      expect(["200/409", "422/204"], JSON.stringify({ use: use.body, del: del.body })).toContain(outcome);
      const exists = (await t.sql(`SELECT count(*)::int AS n FROM segments WHERE id = $1`, [segment])).rows[0].n;
      const refs = (await t.sql(`SELECT count(*)::int AS n FROM flag_state_segments WHERE segment_id = $1`, [segment])).rows[0].n;
      expect({ exists, refs }).toEqual(outcome === "200/409" ? { exists: 1, refs: 1 } : { exists: 0, refs: 0 });
    }
  });
});

describe("targeted flags over OFREP", () => {
  const ofrep = (key: string, context: Record<string, unknown>) =>
    call(app.url, "POST", `/ofrep/v1/evaluate/flags/${key}`, { token: SDK_TOKEN, body: { context } });

  it("constraints read the context's attributes, segments apply, the staged percentage still counts, and a segment edit reaches evaluation", async () => {
    const key = unique("ofrep-targeted");
    await createFlag(key);
    const segment = await createSegment(unique("Staff"));
    const { version } = await stateOf(key);
    const res = await patch(key, {
      version,
      enabled: true,
      rolloutPercent: 0,
      targeting: {
        strategies: [
          { title: "Staff", rollout: 100, segments: [segment] },
          { title: "Big tenants", rollout: 100, constraints: [{ contextName: "seats", operator: "NUM_GTE", value: "500" }] },
        ],
      },
    });
    expect(res.status).toBe(200);
    await eventually(
      async () => (await ofrep(key, { targetingKey: "u1", email: "a@acme.com" })).body.value === true,
      5000,
      "the targeting is served",
    );
    expect((await ofrep(key, { targetingKey: "u1", email: "a@acme.com" })).body).toMatchObject({
      value: true,
      reason: "TARGETING_MATCH",
      variant: "on",
    });
    expect((await ofrep(key, { targetingKey: "u1", email: "a@other.com" })).body).toMatchObject({ value: false, variant: "off" });
    expect((await ofrep(key, { targetingKey: "u1", seats: 800 })).body).toMatchObject({ value: true });
    expect((await ofrep(key, { targetingKey: "u1", seats: 20 })).body).toMatchObject({ value: false });
    // The SDK evaluates the same in process, with the same context.
    const sdk = await RollgateClient.connect({ url: app.url, sdkKey: SDK_TOKEN });
    try {
      await eventually(() => sdk.isEnabled(key, { targetingKey: "u1", email: "a@acme.com" }), 5000, "the SDK has the targeting");
      expect(sdk.evaluate(key, { targetingKey: "u1", email: "a@acme.com" })).toMatchObject({ value: true, reason: "TARGETING_MATCH" });
      expect(sdk.isEnabled(key, { targetingKey: "u1", email: "a@other.com" })).toBe(false);
      expect(sdk.isEnabled(key, { targetingKey: "u1", seats: 800 })).toBe(true);
      expect(sdk.isEnabled(key, "u1")).toBe(false); // the key alone matches no strategy
    } finally {
      await sdk.close();
    }

    // The segment's change is evaluated at once, without touching the flag.
    const seg = (await call(app.url, "GET", `/api/v1/segments/${segment}`, { token: eng })).body;
    const edited = await call(app.url, "PATCH", `/api/v1/segments/${segment}`, {
      token: eng,
      body: {
        version: seg.version,
        constraints: [{ contextName: "email", operator: "STR_ENDS_WITH", values: ["@acme.com", "@other.com"] }],
      },
    });
    expect(edited.status).toBe(200);
    await eventually(
      async () => (await ofrep(key, { targetingKey: "u1", email: "a@other.com" })).body.value === true,
      5000,
      "the segment edit is served",
    );
  });

  it("a flag with variants serves the payload as a typed value, the variant's name, and whether it is on", async () => {
    const key = unique("ofrep-variants");
    await createFlag(key);
    const { version } = await stateOf(key);
    const res = await patch(key, {
      version,
      enabled: true,
      rolloutPercent: 0,
      targeting: {
        strategies: [{ rollout: 100, constraints: [{ contextName: "plan", operator: "IN", values: ["pro"] }] }],
        variants: [{ name: "layout", weight: 1000, payload: { type: "json", value: '{"columns":3}' } }],
      },
    });
    expect(res.status).toBe(200);
    await eventually(
      async () => (await ofrep(key, { targetingKey: "u", plan: "pro" })).body.variant === "layout",
      5000,
      "the variants are served",
    );
    expect((await ofrep(key, { targetingKey: "u", plan: "pro" })).body).toMatchObject({
      value: { columns: 3 },
      variant: "layout",
      metadata: { enabled: true },
    });
    const off = (await ofrep(key, { targetingKey: "u", plan: "free" })).body;
    expect(off).toMatchObject({ variant: "disabled", metadata: { enabled: false } });
    expect(off).not.toHaveProperty("value");
  });
});
