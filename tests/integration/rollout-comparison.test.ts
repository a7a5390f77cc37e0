// The rollout page's "change vs control" chart (issue 23): from rollups inserted for a rollout, the
// read model and the page show each phase's Δ with its lower bound and the error test's sentence.
import { beforeAll, describe, expect, it } from "vitest";
import { signIn } from "../../lib/auth/sessions";
import { LATENCY_SLOTS } from "../../lib/domain/latency-buckets";
import { getRolloutComparison } from "../../lib/metrics/get-rollout-comparison";
import type { RolloutComparison } from "../../lib/metrics/rollout-comparison";
import { DEMO_TEST_PASSWORD, setUpTestApp } from "../support/fixture";

const PASSWORD = DEMO_TEST_PASSWORD;
const MINUTE = 60_000;
const START = Date.UTC(2026, 10, 30, 10, 0);
let cookie: string;
let rolloutId: string;

const { t, app } = setUpTestApp({ demo: true });

/** All latency in the 25–50 ms slot. */
const slots = (n: number) => Array.from({ length: LATENCY_SLOTS }, (_, i) => (i === 3 ? n : 0));

beforeAll(async () => {
  cookie = `rollgate_session=${(await signIn(t.db, { email: "viewer@rollgate.dev", password: PASSWORD })).secret}`;
  const engineer = await t.db.user.findFirstOrThrow({ where: { email: "engineer@rollgate.dev" } });
  const flagId: string = (await t.sql(`INSERT INTO flags (key) VALUES ('compared') RETURNING id`)).rows[0].id;
  const rollout = await t.db.rollout.create({
    data: {
      flagId,
      environmentKey: "production",
      status: "active",
      currentPhase: 1,
      createdAt: new Date(START),
      phaseStartedAt: new Date(START + 2 * MINUTE),
      requestedBy: engineer.id,
      impact: {},
      stateBefore: { enabled: false, rolloutPercent: 0, allowlist: [] },
      phases: {
        create: [
          { index: 0, name: "10%", percent: 10, minSoakSeconds: 120, criteria: {}, requiredApprovals: 0, checklist: [] },
          { index: 1, name: "50%", percent: 50, minSoakSeconds: 600, criteria: {}, requiredApprovals: 0, checklist: [] },
        ],
      },
    },
  });
  rolloutId = rollout.id;
  const insert = (
    m: number,
    phase: number,
    variant: string,
    requests: number,
    errorSubjects: number,
    reason = "SPLIT",
    env = "production",
  ) =>
    t.sql(
      `INSERT INTO metric_rollups (flag_id, environment_key, variant, minute, phase, reason, requests, errors, error_subjects, latency_buckets)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)`,
      [flagId, env, variant, new Date(START + m * MINUTE), phase, reason, requests, errorSubjects, slots(requests)],
    );
  // Two minutes at 10 % (1,000 requests a minute), then two at 50 %: the unit test's numbers.
  await insert(0, 0, "on", 100, 2);
  await insert(0, 0, "off", 900, 9);
  await insert(1, 0, "on", 100, 4);
  await insert(1, 0, "off", 900, 9);
  await insert(2, 1, "on", 500, 10);
  await insert(2, 1, "off", 500, 5);
  await insert(3, 1, "on", 500, 15);
  await insert(3, 1, "off", 500, 5);
  // Not this rollout's comparison: targeted traffic, staging, and an earlier rollout's phase 1.
  await insert(3, 1, "on", 400, 300, "TARGETING_MATCH");
  await insert(3, 1, "on", 400, 300, "SPLIT", "staging");
  await insert(-10, 1, "on", 400, 300);
}, 120_000);

describe("the rollout page's change vs control chart", () => {
  it("reads each phase's Δ, lower bound and sample sizes from the rollout's SPLIT rollups", async () => {
    const c = await getRolloutComparison(t.db, rolloutId, new Date(START + 4 * MINUTE));
    expect(c.from).toBe(START);
    expect(c.phases.map((p) => [p.name, p.startedAt, p.series.length])).toEqual([
      ["10%", START, 2],
      ["50%", START + 2 * MINUTE, 2],
    ]);
    const [p0, p1] = c.phases;
    expect(p0!.nStar).toBeCloseTo(2000, 9);
    expect(p1!.nStar).toBeCloseTo(10_000, 9);
    expect(p0!.errors).toMatchObject({ on: { requests: 200, events: 6 }, off: { requests: 1800, events: 18 } });
    expect(p0!.errors!.delta).toBeCloseTo(0.02, 12);
    expect(p0!.errors!.lower).toBeCloseTo(-0.01655302963780613, 12);
    expect(p1!.errors).toMatchObject({ on: { requests: 1000, events: 25, rate: 0.025 }, off: { requests: 1000, events: 10, rate: 0.01 } });
    expect(p1!.errors!.lower).toBeCloseTo(-0.0044357517115064925, 12);
    expect(p1!.series[1]!.lower).toBeCloseTo(-0.0044357517115064925, 12);
    expect(c.slowThresholdMs).toBe(50);
    expect(c.errors.on).toEqual({ requests: 1200, events: 31, rate: 31 / 1200 });
    expect(c.errors.explanation).toBe("on: 2.6 % errors, off: 1 %, 2.6× worse, evidence 65 ≥ 33 → roll back");
  });

  it("a late report into a minute already read shows at the next read (the minutes are kept between reads)", async () => {
    const at = new Date(START + 4 * MINUTE);
    const before = await getRolloutComparison(t.db, rolloutId, at);
    const minute1On = `flag_id = (SELECT flag_id FROM rollouts WHERE id = $1) AND environment_key = 'production' AND variant = 'on'
                       AND minute = $2 AND phase = 0 AND reason = 'SPLIT'`;
    await t.sql(
      `UPDATE metric_rollups SET requests = requests + 50, errors = errors + 7, error_subjects = error_subjects + 7 WHERE ${minute1On}`,
      [rolloutId, new Date(START + MINUTE)],
    );
    try {
      const after = await getRolloutComparison(t.db, rolloutId, at);
      expect(after.phases[0]!.errors).toMatchObject({ on: { requests: 250, events: 13 }, off: { requests: 1800, events: 18 } });
      expect(after.errors.on).toEqual({ requests: before.errors.on.requests + 50, events: before.errors.on.events + 7, rate: 38 / 1250 });
    } finally {
      await t.sql(
        `UPDATE metric_rollups SET requests = requests - 50, errors = errors - 7, error_subjects = error_subjects - 7 WHERE ${minute1On}`,
        [rolloutId, new Date(START + MINUTE)],
      );
    }
    expect((await getRolloutComparison(t.db, rolloutId, at)).errors.on).toEqual(before.errors.on);
  });

  it("shows them on the rollout page, in the caption and the table", async () => {
    const res = await fetch(`${app.url}/rollouts/${rolloutId}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    // The page's text, cell by cell: tags inside a cell dropped, each cell's end kept as "|".
    const text = (await res.text())
      .replace(/<\/td>/g, "|")
      .replace(/<[^>]*>/g, "")
      .replace(/&gt;/g, ">");
    expect(text).toContain("Change vs control");
    expect(text).toContain("Evidence of harm: on has more errors than off");
    expect(text).toContain("on: 2.6 % errors, off: 1 %, 2.6× worse, evidence 65 ≥ 33 → roll back");
    expect(text).toContain("3 % of 200|");
    expect(text).toContain("2.5 % of 1,000|");
    expect(text).toContain("1 % of 1,000|");
    expect(text).toContain("+1.5 pp (≥ −0.44 pp)|");
    expect(text).toContain("+2 pp (≥ −1.7 pp)|");
  });

  it("serves them as JSON to the chart's live refresh, to signed-in callers only", async () => {
    const res = await fetch(`${app.url}/api/v1/rollouts/${rolloutId}/comparison`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as RolloutComparison;
    expect(body.from).toBe(START);
    expect(body.phases.map((p) => [p.phase, p.name, p.percent, p.startedAt, p.series.map((s) => s.t)])).toEqual([
      [0, "10%", 10, START, [START, START + MINUTE]],
      [1, "50%", 50, START + 2 * MINUTE, [START + 2 * MINUTE, START + 3 * MINUTE]],
    ]);
    expect(body.phases[1]!.errors).toMatchObject({ on: { requests: 1000, events: 25 }, off: { requests: 1000, events: 10 } });
    expect(body.phases[1]!.errors!.lower).toBeCloseTo(-0.0044357517115064925, 12);
    expect(body.errors.explanation).toBe("on: 2.6 % errors, off: 1 %, 2.6× worse, evidence 65 ≥ 33 → roll back");
    expect((await fetch(`${app.url}/api/v1/rollouts/${rolloutId}/comparison`)).status).toBe(401);
    expect(
      (await fetch(`${app.url}/api/v1/rollouts/00000000-0000-4000-8000-000000000000/comparison`, { headers: { cookie } })).status,
    ).toBe(404);
  });

  it("the demo rollout has randomized traffic to compare", async () => {
    const demo = await t.db.rollout.findFirstOrThrow({ where: { flag: { key: "messaging-v2" }, environmentKey: "production" } });
    const c = await getRolloutComparison(t.db, demo.id);
    expect(c.phases.map((p) => p.name)).toEqual(["Internal", "10%"]);
    expect(c.phases[0]!.errors).toBeNull();
    expect(c.phases[1]!.series.length).toBeGreaterThan(100);
    expect(c.phases[1]!.errors!.on.requests).toBeGreaterThan(5000);
  });

  it("the demo has seen the users its history came from: each phase of the demo rollout says whom it reaches", async () => {
    const demo = await t.db.rollout.findFirstOrThrow({ where: { flag: { key: "messaging-v2" }, environmentKey: "production" } });
    const res = await fetch(`${app.url}/api/v1/rollouts/${demo.id}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const reach = ((await res.json()) as { phases: { name: string; reach: string }[] }).phases.map((p) => p.reach);
    const parsed = reach.map((words) => {
      const m = /^([\d,]+) of ([\d,]+) users seen last week$/.exec(words);
      expect(m, words).not.toBeNull();
      return { matched: Number(m![1]!.replace(/,/g, "")), seen: Number(m![2]!.replace(/,/g, "")) };
    });
    // All 4,000 demo users, fewer than a day's sample keeps: exact counts.
    expect(parsed.map((p) => p.seen)).toEqual([4000, 4000, 4000, 4000]);
    // Internal serves its two listed QA accounts, who are among the users seen; 10 % and 50 % serve
    // about that share of them (each user's bucket is fixed: ±3 σ), and 100 % all.
    expect(parsed[0]!.matched).toBe(2);
    expect(parsed[1]!.matched).toBeGreaterThan(400 - 57);
    expect(parsed[1]!.matched).toBeLessThan(400 + 57);
    expect(parsed[2]!.matched).toBeGreaterThan(2000 - 95);
    expect(parsed[2]!.matched).toBeLessThan(2000 + 95);
    expect(parsed[3]!.matched).toBe(4000);
  });
});
