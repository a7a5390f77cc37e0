import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS } from "../support/http";

const viewer = ROLE_TOKENS.viewer;
const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

interface Listed {
  key: string;
  description: string;
  owner: string | null;
  tags: string[];
  environments: Record<string, { enabled: boolean; rolloutPercent: number; killed: boolean }>;
  lastEvaluated: Record<string, string | null>;
  stale: string | null;
}

const list = async (query: string) => {
  const res = await call(app.url, "GET", `/api/v1/flags${query ? `?${query}` : ""}`, { token: viewer });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { flags: Listed[]; next: string | null; prev: string | null };
};

/** Every page of `query`, following `next`; `between` runs after each page (concurrent writes). */
async function walk(query: string, between?: (page: number) => Promise<unknown>): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const body = await list(`${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    keys.push(...body.flags.map((f) => f.key));
    await between?.(page);
    cursor = body.next;
    if (!cursor) return keys;
  }
  throw new Error("more than 100 pages");
}

/** `keys` in the database's order (its collation, not JavaScript's). */
const dbOrder = async (keys: string[]) =>
  (await t.sql("SELECT k FROM unnest($1::text[]) k ORDER BY k", [keys])).rows.map((r) => r.k as string);

/** Flags made straight in the database (states come from its trigger), in one statement. */
const makeFlags = (prefix: string, from: number, to: number, description = "made in bulk") =>
  t.sql(`INSERT INTO flags (key, description) SELECT $1 || lpad(i::text, 4, '0'), $2 FROM generate_series($3::int, $4::int) i`, [
    prefix,
    description,
    from,
    to,
  ]);

describe("GET /api/v1/flags: pages and filters", () => {
  it("answers the first page by default, with every documented field and a next cursor", async () => {
    await makeFlags("bulk-", 1, 150);
    const body = await list("");
    expect(body.flags).toHaveLength(100);
    expect(body.next).toEqual(expect.any(String));
    expect(body.prev).toBeNull();
    const first = body.flags[0]!;
    for (const field of ["key", "description", "bucketGroup", "rawEventSamplePercent", "createdAt", "environments", "owner", "tags"]) {
      expect(first).toHaveProperty(field);
    }
    const keys = body.flags.map((f) => f.key);
    expect(keys).toEqual(await dbOrder(keys));
    const second = await list(`cursor=${encodeURIComponent(body.next!)}`);
    expect(second.flags.map((f) => f.key)).not.toContain(keys[0]);
    expect(second.prev).toEqual(expect.any(String));
    const back = await list(`cursor=${encodeURIComponent(second.prev!)}`);
    expect(back.flags.map((f) => f.key)).toEqual(keys);
    expect(back.prev).toBeNull();
  });

  it("walks every page without duplicates or gaps while flags are created in between", async () => {
    await makeFlags("walk-", 1, 230);
    const before = (await t.sql("SELECT key FROM flags WHERE key LIKE 'walk-%' AND archived_at IS NULL")).rows.map((r) => r.key);
    let extra = 1000;
    const seen = await walk("q=walk-&limit=37", async () => {
      // Some sort before what was read, some after: neither may shift the rest.
      await makeFlags("walk-", extra, extra + 2);
      await t.sql(`INSERT INTO flags (key) VALUES ('walk-0000a${extra}')`);
      extra += 3;
    });
    expect(new Set(seen).size).toBe(seen.length);
    for (const key of before) expect(seen).toContain(key);
    expect(seen).toEqual(await dbOrder(seen));
    // Sorted by last change, newest first, the walk is complete too.
    const byUpdated = await walk("q=walk-&limit=50&sort=updated");
    expect(new Set(byUpdated).size).toBe(byUpdated.length);
    expect(byUpdated.length).toBeGreaterThanOrEqual(before.length);
  });

  it("searches key and description case-insensitively, wildcards taken literally", async () => {
    await call(app.url, "POST", "/api/v1/flags", {
      token: ROLE_TOKENS.engineer,
      body: { key: "Search-Me_1", description: "Pays 50% Faster" },
    });
    await call(app.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key: "searchxme-2", description: "other" } });
    expect((await list("q=SEARCH-me")).flags.map((f) => f.key)).toEqual(["Search-Me_1"]);
    expect((await list("q=50%25 faster")).flags.map((f) => f.key)).toEqual(["Search-Me_1"]);
    expect((await list("q=search_me")).flags.map((f) => f.key)).toEqual([]); // "_" is not a wildcard
    expect((await list("q=nothing-like-this")).flags).toEqual([]);
  });

  it("filters by state in one environment or any", async () => {
    await makeFlags("state-", 1, 5);
    const set = (key: string, env: string, values: string) =>
      t.sql(`UPDATE flag_states s SET ${values} FROM flags f WHERE f.id = s.flag_id AND f.key = $1 AND s.environment_key = $2`, [key, env]);
    await set("state-0001", "production", "enabled = true, rollout_percent = 100");
    await set("state-0002", "production", "enabled = true, rollout_percent = 30");
    await set("state-0003", "production", "enabled = true, killed = true");
    await set("state-0004", "staging", "enabled = true, rollout_percent = 100");
    const keys = async (query: string) => (await list(`q=state-&${query}`)).flags.map((f) => f.key);
    expect(await keys("environment=production&state=full")).toEqual(["state-0001"]);
    expect(await keys("environment=production&state=rolling_out")).toEqual(["state-0002"]);
    expect(await keys("environment=production&state=killed")).toEqual(["state-0003"]);
    expect(await keys("environment=production&state=on")).toEqual(["state-0001", "state-0002"]);
    expect(await keys("environment=production&state=off")).toEqual(["state-0004", "state-0005"]);
    expect(await keys("state=full")).toEqual(["state-0001", "state-0004"]);
  });

  it("refuses bad parameters with a message per field", async () => {
    const bad = async (query: string) => {
      const res = await call(app.url, "GET", `/api/v1/flags?${query}`, { token: viewer });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
      return res.body.error.fields as Record<string, string>;
    };
    expect((await bad("limit=0")).limit).toMatch(/1 to 500/);
    expect((await bad("limit=501")).limit).toMatch(/1 to 500/);
    expect((await bad("limit=ten")).limit).toMatch(/whole number/);
    expect((await bad("cursor=garbage")).cursor).toMatch(/not a cursor/);
    expect((await bad("state=maybe")).state).toMatch(/rolling_out/);
    expect((await bad("sort=random")).sort).toMatch(/key, updated, evaluated/);
    expect((await bad("environment=moon&state=on")).environment).toMatch(/no environment 'moon'/);
    expect((await bad("tag=Not%20A%20Tag")).tag).toMatch(/not a tag/);
    expect((await bad("stale=maybe")).stale).toMatch(/1 or 0/);
    expect(JSON.stringify(await bad("unknown=1"))).toMatch(/unknown/);
    const first = await list("sort=updated&limit=1");
    expect((await bad(`sort=key&cursor=${encodeURIComponent(first.next!)}`)).cursor).toMatch(/sort=updated/);
    expect((await call(app.url, "GET", "/api/v1/flags")).status).toBe(401);
  });
});
