// More live rollouts than a list page holds (50): the overview still shows every active one and counts
// them, drafts never crowd one out, the flag list shows the rollout of every flag on its page, and a
// product owner's inbox and the approvals page list every rollout that waits, the oldest included.
import { beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, botSessionCookie, call, ROLE_TOKENS } from "../support/http";

const eng = ROLE_TOKENS.engineer;
const ACTIVE = 55;
const DRAFTS = 3;
const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP, env: { ROLLGATE_AUTO_ADVANCE_INTERVAL_MS: "3600000" } });

const ids: string[] = [];
let cookie = "";

async function ok(method: string, path: string, body?: unknown) {
  const res = await call(app.url, method, path, { token: eng, body });
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

/** A dashboard page's HTML as the product owner (a session of theirs, as signing in makes one). */
async function page(path: string): Promise<string> {
  const res = await fetch(`${app.url}${path}`, { headers: { cookie } });
  expect(res.status, path).toBe(200);
  return res.text();
}

beforeAll(async () => {
  // The oldest first: scale-00 is the rollout a list of the 50 newest would leave out.
  for (let i = 0; i < ACTIVE; i++) {
    const key = `scale-${String(i).padStart(2, "0")}`;
    await ok("POST", "/api/v1/flags", { key });
    const created = await ok("POST", "/api/v1/rollouts", {
      flagKey: key,
      environment: "production",
      phases: [
        { name: "10 %", percent: 10 },
        { name: "50 %", percent: 50, requiredApprovals: 1 },
      ],
    });
    await ok("POST", `/api/v1/rollouts/${created.id}/advance`, { version: created.version });
    ids.push(created.id as string);
  }
  for (let i = 0; i < DRAFTS; i++) {
    const key = `draft-${i}`;
    await ok("POST", "/api/v1/flags", { key });
    await ok("POST", "/api/v1/rollouts", { flagKey: key, environment: "staging", phases: [{ name: "10 %", percent: 10 }] });
  }
  cookie = await botSessionCookie(t, "product_owner");
}, 120_000);

describe("lists with more live rollouts than a page", () => {
  it("the API gives the 50 newest by default and up to `limit`, refusing a limit out of range", async () => {
    const listed = async (query: string) =>
      ((await call(app.url, "GET", `/api/v1/rollouts${query}`, { token: eng })).body.rollouts as { id: string }[]).map((r) => r.id);
    const newest = await listed("");
    expect(newest).toHaveLength(50);
    expect(newest).not.toContain(ids[0]);
    const all = await listed("?limit=500");
    expect(all).toHaveLength(ACTIVE + DRAFTS);
    expect(all.at(-1)).toBe(ids[0]);
    for (const limit of ["0", "501", "2.5", "many"]) {
      const res = await call(app.url, "GET", `/api/v1/rollouts?limit=${limit}`, { token: eng });
      expect(res.status, limit).toBe(400);
      expect(res.body.error.fields.limit, limit).toMatch(/must be/);
    }
  });

  it("the overview counts and shows every active rollout, the oldest too, and names the drafts apart", async () => {
    const html = await page("/overview");
    expect(html).toContain(`Live rollouts (<!-- -->${ACTIVE}<!-- -->)`);
    expect(html).toContain(`/rollouts/${ids[0]}`);
    expect(html.match(/href="\/rollouts\/[0-9a-f-]{36}"/g)!.length).toBeGreaterThanOrEqual(ACTIVE + DRAFTS);
    expect(html).toContain("Planned (draft, not started)");
    expect(html).toContain("draft-2");
    expect(html).not.toContain("newest of");
  });

  it("the flag list shows the rollout of every flag on its page, however old", async () => {
    const html = await page("/flags?q=scale-00");
    expect(html).toContain(`/rollouts/${ids[0]}`);
  });

  it("the inbox and the approvals page list every rollout that waits for an approval", async () => {
    const inbox = await call(app.url, "GET", "/api/v1/approvals/inbox", { token: ROLE_TOKENS.product_owner });
    expect(inbox.status).toBe(200);
    const waiting = (inbox.body.items as { rolloutId: string; phaseIndex: number }[]).map((i) => i.rolloutId);
    expect(waiting.sort()).toEqual([...ids].sort());
    const html = await page("/approvals");
    expect(html).toContain(`Waiting for you (<!-- -->${ACTIVE}<!-- -->)`);
    for (const id of [ids[0], ids[ACTIVE - 1]]) expect(html).toContain(`/rollouts/${id}`);
    expect(html.match(/>scale-00</g)?.length, "in the inbox and among all pending approvals").toBeGreaterThanOrEqual(2);
  });

  // Last: it gives seven rollouts one creation instant (microseconds apart at most).
  it("the API pages through every rollout by `cursor`, none skipped or repeated, ties within a millisecond included", async () => {
    await t.sql(
      `UPDATE rollouts SET created_at = (SELECT created_at FROM rollouts WHERE id = $1) + (interval '1 microsecond' * (ord % 2))
         FROM unnest($2::uuid[]) WITH ORDINALITY AS u(id, ord) WHERE rollouts.id = u.id`,
      [ids[10], ids.slice(10, 17)],
    );
    const whole = await call(app.url, "GET", "/api/v1/rollouts?status=all&limit=500", { token: eng });
    expect(whole.body.next).toBeNull();
    const expected = (whole.body.rollouts as { id: string }[]).map((r) => r.id);
    expect(new Set(expected).size).toBe(ACTIVE + DRAFTS);
    for (const limit of [1, 7, ACTIVE + DRAFTS]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await call(app.url, "GET", `/api/v1/rollouts?status=all&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`, {
          token: eng,
        });
        expect(res.status).toBe(200);
        const page = (res.body.rollouts as { id: string }[]).map((r) => r.id);
        expect(page.length, `limit ${limit}`).toBeLessThanOrEqual(limit);
        seen.push(...page);
        cursor = res.body.next as string | null;
        pages++;
      } while (cursor && pages < 100);
      expect(seen, `limit ${limit}`).toEqual(expected);
      expect(pages, `limit ${limit}`).toBe(Math.ceil((ACTIVE + DRAFTS) / limit));
    }
    const flagsCursor = Buffer.from(JSON.stringify(["key", "n", "a", ids[0]])).toString("base64url");
    const rounded = Buffer.from(JSON.stringify(["r", "2026-12-07T10:00:00.000Z", ids[0]])).toString("base64url");
    for (const bad of ["abc", flagsCursor, rounded, "x".repeat(400)]) {
      const res = await call(app.url, "GET", `/api/v1/rollouts?cursor=${bad}`, { token: eng });
      expect(res.status, bad).toBe(400);
      expect(res.body.error.fields.cursor, bad).toMatch(/not a cursor from this list/);
    }
  });
});
