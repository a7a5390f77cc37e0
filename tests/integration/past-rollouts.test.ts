// A flag's page lists its ended rollouts: how far each got, how it ended, when, why and by whom, the
// most recently ended first, ten of them with the count of the rest; live rollouts are not among them.
import { beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, botSessionCookie, call, ROLE_TOKENS } from "../support/http";

const eng = ROLE_TOKENS.engineer;
const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP, env: { ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: "3600000" } });
let cookie = "";

async function ok(method: string, path: string, body?: unknown, token = eng) {
  const res = await call(app.url, method, path, { token, body });
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

async function rollout(
  flagKey: string,
  environment: string,
  phases = [
    { name: "Staff", percent: 5 },
    { name: "Everyone", percent: 100 },
  ],
) {
  return ok("POST", "/api/v1/rollouts", { flagKey, environment, phases });
}

async function step(r: { id: string; version: number }, action: string, body: Record<string, unknown> = {}, token = eng) {
  return ok("POST", `/api/v1/rollouts/${r.id}/${action}`, { version: r.version, ...body }, token);
}

/** The flag's page as an engineer, and its past-rollout rows as text. */
async function pastRows(flagKey: string): Promise<{ html: string; rows: string[] }> {
  const res = await fetch(`${app.url}/flags/${flagKey}`, { headers: { cookie } });
  expect(res.status).toBe(200);
  const html = await res.text();
  const rows = [...html.matchAll(/<tr data-testid="past-rollout">([\s\S]*?)<\/tr>/g)].map((m) =>
    m[1]!
      // The column names each cell carries for phones.
      .replace(/<span class="[^"]*md:hidden">[^<]*<\/span>/g, "")
      .replace(/<!-- -->/g, "")
      .replace(/<[^>]+>/g, " ")
      .replace(/&#x27;|&apos;/g, "'")
      .replace(/\s+/g, " ")
      .trim(),
  );
  return { html, rows };
}

beforeAll(async () => {
  cookie = await botSessionCookie(t, "engineer");
});

describe("a flag's past rollouts", () => {
  it("lists each ended rollout with how far it got, how and when it ended, why and by whom; live ones are not among them", async () => {
    await ok("POST", "/api/v1/flags", { key: "past-one" });
    // Completed in staging: both phases, then complete.
    let done = await rollout("past-one", "staging");
    done = await step(done, "advance");
    done = await step(done, "advance");
    done = await step(done, "advance", { reason: "all green for a day" });
    expect(done.status).toBe("completed");
    // Rolled back in production at its first phase, by on-call.
    let back = await rollout("past-one", "production");
    back = await step(back, "advance");
    back = await step(back, "rollback", { reason: "checkout errors doubled" }, ROLE_TOKENS.oncall);
    expect(back.status).toBe("rolled_back");
    // A draft discarded before it started, then a rollout still live in production.
    const draft = await rollout("past-one", "production");
    await step(draft, "rollback", { reason: "wrong plan" });
    const live = await step(await rollout("past-one", "production"), "advance");
    expect(live.status).toBe("active");

    const { rows: actors } = await t.sql(
      `SELECT action, actor FROM audit_log WHERE action IN ('rollout.complete', 'rollout.rollback') ORDER BY id`,
    );
    expect(actors.map((a: { action: string }) => a.action)).toEqual(["rollout.complete", "rollout.rollback", "rollout.rollback"]);
    const [completer, oncall, discarder] = actors.map((a: { actor: string }) => a.actor as string);

    const { html, rows } = await pastRows("past-one");
    expect(html).toContain("Past rollouts (<!-- -->3<!-- -->)");
    expect(rows).toHaveLength(3);
    // The most recently ended first.
    expect(rows[0]).toMatch(/^production Discarded draft never started/);
    expect(rows[0]).toContain("wrong plan");
    expect(rows[0]).toContain(`by ${discarder}`);
    expect(rows[1]).toMatch(/^production Rolled back Staff \(5 %\) phase 1 of 2/);
    expect(rows[1]).toContain("checkout errors doubled");
    expect(rows[1]).toContain(`by ${oncall}`);
    expect(rows[2]).toMatch(/^staging Completed Everyone \(100 %\) phase 2 of 2/);
    expect(rows[2]).toContain("all green for a day");
    expect(rows[2]).toContain(`by ${completer}`);
    expect(oncall).not.toBe(completer);
    for (const r of [done, back, draft]) expect(html).toContain(`href="/rollouts/${r.id as string}"`);
    expect(rows.every((r) => / \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC /.test(r))).toBe(true);
    expect(html).not.toContain("earlier in the flag");
    // Each rollout's own page says how and when it ended.
    for (const [r, said] of [
      [back, /Rolled back <time dateTime="[^"]+">\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC<\/time>: checkout errors doubled/],
      [done, /Completed <time dateTime="[^"]+">[^<]+<\/time>: all green for a day/],
      [draft, /Discarded <time dateTime="[^"]+">[^<]+<\/time>: wrong plan/],
    ] as const) {
      const page = await (await fetch(`${app.url}/rollouts/${r.id as string}`, { headers: { cookie } })).text();
      expect(page.replace(/<!-- -->/g, "")).toMatch(said);
    }
    const livePage = await (await fetch(`${app.url}/rollouts/${live.id as string}`, { headers: { cookie } })).text();
    expect(livePage).not.toContain('data-testid="rollout-ended"');
  });

  it("shows the ten that ended last and counts the rest, with a link to the flag's history", async () => {
    await ok("POST", "/api/v1/flags", { key: "past-many" });
    const ended: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await step(await rollout("past-many", "staging"), "advance");
      await step(r, "rollback", { reason: `attempt ${i}` });
      ended.push(r.id as string);
    }
    const { html, rows } = await pastRows("past-many");
    expect(html).toContain("Past rollouts (<!-- -->12<!-- -->)");
    expect(rows).toHaveLength(10);
    expect(rows[0]).toContain("attempt 11");
    expect(rows[9]).toContain("attempt 2");
    expect(html).not.toContain(`href="/rollouts/${ended[1]!}"`);
    expect(html).toMatch(/href="\/audit\?target=past-many&amp;action=rollout"[^>]*>2<!-- --> earlier in the flag&#x27;s history/);
  });

  it("says nothing on a flag whose rollouts never ended", async () => {
    await ok("POST", "/api/v1/flags", { key: "past-none" });
    await rollout("past-none", "staging");
    const { html, rows } = await pastRows("past-none");
    expect(rows).toHaveLength(0);
    expect(html).not.toContain("Past rollouts");
  });
});
