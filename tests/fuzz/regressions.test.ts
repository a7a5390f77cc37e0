import { beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN, type HttpResult } from "../support/http";
import pg from "pg";
import { buildWorld, fingerprint, openFingerprinter, serverActionIds } from "./support/fuzz-world";
import { sendRaw } from "./support/raw-request";
import { deep, oversizedBody } from "./support/hostile";
import type { World } from "./support/targets";

/**
 * The exact requests of the hostile-input report (issue "Hostile input never gets a 500 or a
 * reset"), each of which answered 500 or reset the connection before. Each must now be refused with
 * a clear error and change nothing.
 */
let world: World;
let actions: Map<string, string>;
const eng = ROLE_TOKENS.engineer;

const { t, app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP, demo: true });
beforeAll(async () => {
  world = await buildWorld(t, app.url);
  actions = serverActionIds();
});

/** Calls a server action as React does: `Next-Action` + multipart body with the encoded arguments. */
async function callAction(
  page: string,
  name: string,
  options: { cookie?: string; fields?: Record<string, string>; args?: string; contentType?: string; rawBody?: string },
) {
  // As a browser calls it: with the page's Origin (cookie-authenticated posts without one are refused).
  const headers: Record<string, string> = { "next-action": actions.get(name)!, accept: "text/x-component", origin: app.url };
  if (options.cookie) headers.cookie = options.cookie;
  let body: FormData | string;
  if (options.rawBody !== undefined) {
    body = options.rawBody;
    headers["content-type"] = options.contentType ?? "text/plain;charset=UTF-8";
  } else {
    body = new FormData();
    for (const [k, v] of Object.entries(options.fields ?? {})) body.append(`_1_${k}`, v);
    body.append("0", options.args ?? '[{"status":"idle"},"$K1"]');
  }
  const res = await fetch(`${app.url}${page}`, { method: "POST", headers, body, redirect: "manual" });
  const text = await res.text();
  const state = text
    .split("\n")
    .find((l) => l.startsWith("1:{"))
    ?.slice(2);
  return { status: res.status, text, state: state ? (JSON.parse(state) as Record<string, unknown>) : null };
}

async function unchanged<T>(fn: () => Promise<T>): Promise<T> {
  const before = await fingerprint(t);
  const result = await fn();
  expect(await fingerprint(t)).toBe(before);
  return result;
}

describe("hostile-input regressions", () => {
  it("a NUL in a stored string is a 400 naming the field (description, allowlist entry)", async () => {
    const key = world.flagKeys[0]!;
    const flag = await call(app.url, "GET", `/api/v1/flags/${key}`, { token: eng });
    await unchanged(async () => {
      const description = await call(app.url, "PATCH", `/api/v1/flags/${key}`, { token: eng, rawBody: '{"description":"a\\u0000b"}' });
      expect(description.status).toBe(400);
      expect(description.body.error.fields).toEqual({ description: "contains control characters" });

      const created = await call(app.url, "POST", "/api/v1/flags", { token: eng, rawBody: '{"key":"nul-desc","description":"\\u0000"}' });
      expect(created.status).toBe(400);
      expect(created.body.error.fields.description).toBe("contains control characters");

      const allowlist = await call(app.url, "PATCH", `/api/v1/flags/${key}/environments/production`, {
        token: eng,
        body: { version: flag.body.environments.production.version, allowlist: ["qa-1", "qa\u00002"] },
      });
      expect(allowlist.status).toBe(400);
      expect(allowlist.body.error.fields).toEqual({ "allowlist.1": "contains control characters" });
    });
  });

  it.each(["GET", "PATCH", "DELETE"])("%s of a flag path with an encoded NUL or broken percent-encoding is a 400", async (method) => {
    const body = method === "GET" ? undefined : Buffer.from('{"description":"x","reason":"because"}');
    await unchanged(async () => {
      for (const [path, field] of [
        ["/api/v1/flags/%00", "path.key"],
        ["/api/v1/flags/%E0%A4%A", "path"],
        ["/api/v1/flags/%00/environments/production", "path.key"],
        ["/api/v1/flags/%E0%A4%A/environments/production", "path"],
      ] as const) {
        if (method === "DELETE" && path.includes("environments")) continue;
        const m = path.includes("environments") ? "PATCH" : method;
        const res = await sendRaw(app.url, {
          method: m,
          path,
          headers: [
            ["authorization", `Bearer ${eng}`],
            ["content-type", "application/json"],
          ],
          body,
        });
        expect(res.kind).toBe("response");
        if (res.kind !== "response") return;
        expect([m, path, res.status]).toEqual([m, path, 400]);
        expect(Object.keys(JSON.parse(res.body).error.fields)).toEqual([field]);
      }
    });
  });

  it("the /flags/{key} page answers a 404 page for %00 and a 400 page for broken percent-encoding", async () => {
    const cookie = world.cookies.viewer;
    const nul = await sendRaw(app.url, { method: "GET", path: "/flags/%00", headers: [["cookie", cookie]] });
    expect(nul.kind === "response" && nul.status).toBe(404);
    const broken = await sendRaw(app.url, { method: "GET", path: "/flags/%E0%A4%A", headers: [["cookie", cookie]] });
    expect(broken.kind === "response" && broken.status).toBe(400);
    expect(broken.kind === "response" && broken.body).toContain("not valid percent-encoding");
  });

  it("a request target that no URL parses ('//[') is answered as not found or bad, not with a 500 (found by a review)", async () => {
    for (const path of ["//[", "//[/api/v1/flags"]) {
      const res = await sendRaw(app.url, { method: "GET", path, headers: [["cookie", world.cookies.viewer]] });
      expect({ path, status: res.kind === "response" ? res.status : res.kind }).toEqual({ path, status: expect.any(Number) });
      expect(res.kind === "response" && res.status, path).toBeLessThan(500);
    }
  });

  it.each([
    "/flags?__proto__=Infinity&x=1&owner=-1&sort=Infinity",
    "/audit?__proto__=1&action=flag.update",
    "/incidents?__proto__=1&status=all",
  ])("a __proto__ search parameter does not reach the page (%s was a 500 for /flags, found by the fuzzer)", async (path) => {
    const res = await sendRaw(app.url, { method: "GET", path, headers: [["cookie", world.cookies.viewer]] });
    expect(res.kind === "response" && res.status).toBe(200);
  });

  it.each(["target", "actor", "action"])("an encoded NUL in the audit filter %s is a 400 naming the filter", async (filter) => {
    const res = await sendRaw(app.url, {
      method: "GET",
      path: `/api/v1/audit?${filter}=%00`,
      headers: [["authorization", `Bearer ${ROLE_TOKENS.viewer}`]],
    });
    expect(res.kind === "response" && res.status).toBe(400);
    if (res.kind === "response") expect(JSON.parse(res.body).error.fields).toEqual({ [filter]: "contains control characters" });
  });

  it("deeply nested JSON on OFREP bulk is a 400 PARSE_ERROR", async () => {
    const res = await sendRaw(app.url, {
      method: "POST",
      path: "/ofrep/v1/evaluate/flags",
      headers: [
        ["authorization", `Bearer ${SDK_TOKEN}`],
        ["content-type", "application/json"],
      ],
      body: Buffer.from(`{"context":{"targetingKey":"u","a":${JSON.stringify(deep(500))}}}`),
    });
    expect(res.kind === "response" && res.status).toBe(400);
    if (res.kind === "response") expect(JSON.parse(res.body)).toMatchObject({ errorCode: "PARSE_ERROR" });
  });

  it.each([
    ["/ofrep/v1/evaluate/flags", 1_000_001],
    ["/ofrep/v1/evaluate/flags", 10_000_000],
    [`/ofrep/v1/evaluate/flags/dark-mode`, 1_000_000],
  ])("an oversized OFREP body on %s (%i bytes) is a 413 with errorCode, not a reset", async (path, size) => {
    const body = Buffer.from(`{"context":{"targetingKey":"u","pad":"${"x".repeat(size)}"}}`);
    const res = await sendRaw(app.url, {
      method: "POST",
      path,
      headers: [
        ["authorization", `Bearer ${SDK_TOKEN}`],
        ["content-type", "application/json"],
      ],
      body,
    });
    expect(res.kind).toBe("response");
    if (res.kind !== "response") return;
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ errorCode: "PARSE_ERROR" });
  });

  it("oversized management API bodies are a 413 in the API's error shape", async () => {
    const res = await call(app.url, "POST", "/api/v1/flags", {
      token: eng,
      rawBody: JSON.stringify({ key: "big", description: "x".repeat(1_100_000) }),
    });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", fields: { body: "at most 1000000 bytes" } });
  });

  it("a form post to an API path that dot segments turn into a page is a JSON 404, not a 500 (found by the fuzzer)", async () => {
    const res = await sendRaw(app.url, {
      method: "POST",
      path: "/api/v1/rollouts/%2e%2e/phases/x/approvals",
      headers: [
        ["authorization", `Bearer ${ROLE_TOKENS.product_owner}`],
        ["content-type", "multipart/form-data"],
      ],
      body: Buffer.from("[[[["),
    });
    expect(res.kind === "response" && res.status).toBe(404);
    if (res.kind === "response") expect(JSON.parse(res.body).error.code).toBe("NOT_FOUND");
  });

  it("an event with a NUL in its flag key rejects the batch with the event's index", async () => {
    await unchanged(async () => {
      const res = await call(app.url, "POST", "/api/v1/events", {
        token: SDK_TOKEN,
        body: {
          events: [
            { flagKey: "dark-mode", variant: "on", outcome: "success", latencyMs: 1 },
            { flagKey: "dark\u0000mode", variant: "on", outcome: "success", latencyMs: 1 },
          ],
        },
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ index: 1, error: { fields: { "events.1.flagKey": "contains control characters" } } });
    });
  });

  it("a viewer calling the revoke-token action gets a form error and the token stays", async () => {
    const tokenId = world.spareTokenIds[0]!;
    const res = await unchanged(() => callAction("/admin", "revokeTokenAction", { cookie: world.cookies.viewer, fields: { tokenId } }));
    expect(res.status).toBe(200);
    expect(res.state).toMatchObject({ status: "error", message: "This needs the admin role" });
    const token = await t.sql(`SELECT revoked_at FROM api_tokens WHERE id = $1`, [tokenId]);
    expect(token.rows[0].revoked_at).toBeNull();
  });

  it("malformed Next-Action requests to the sign-in action are refused, never a 500", async () => {
    await unchanged(async () => {
      const garbage = await callAction("/sign-in", "signInAction", { rawBody: "{{{{" });
      expect(garbage.status).toBe(400);
      expect(garbage.text).toContain("the arguments are not JSON");

      const serverReference = await callAction("/sign-in", "signInAction", { rawBody: '[{},"$h1"]' });
      expect(serverReference.status).toBe(400);

      const noArguments = await callAction("/sign-in", "signInAction", {
        rawBody: '--b\r\ncontent-disposition: form-data; name="_1_email"\r\n\r\na@b.c\r\n--b--\r\n',
        contentType: "multipart/form-data; boundary=b",
      });
      expect(noArguments.status).toBe(400);

      const wrongArguments = await callAction("/sign-in", "signInAction", { rawBody: "[1,2]" });
      expect(wrongArguments.status).toBe(200);
      expect(wrongArguments.state).toEqual({ error: "The form could not be read. Reload the page and try again." });

      const unknownId = await fetch(`${app.url}/sign-in`, { method: "POST", headers: { "next-action": "ab".repeat(21) }, body: "[]" });
      expect(unknownId.status).toBe(404);

      const crossSite = await fetch(`${app.url}/sign-in`, {
        method: "POST",
        headers: { "next-action": actions.get("signInAction")!, origin: "https://evil.example" },
        body: "[]",
      });
      expect(crossSite.status).toBe(403);
    });
  });
});

/** What the metrics rollups hold: a refused report or batch must not add to any of it. */
async function rollups(): Promise<{ rows: number; requests: string; evaluations: string }> {
  const r = await t.sql(
    `SELECT count(*)::int AS rows, coalesce(sum(requests), 0)::text AS requests, coalesce(sum(evaluations), 0)::text AS evaluations FROM metric_rollups`,
  );
  return r.rows[0];
}

/** Refused with 400, and neither the database nor the rollups changed. */
async function refusedUnchanged(send: () => Promise<HttpResult>): Promise<HttpResult> {
  const before = await rollups();
  const res = await unchanged(send);
  expect(res.status).toBe(400);
  expect(await rollups()).toEqual(before);
  return res;
}

describe("bad-night regressions (issue 22): 500s, loose edges and credentials in the wrong place", () => {
  const event = (extra: Record<string, unknown>) => ({
    flagKey: world.flagKeys[0],
    variant: "on",
    outcome: "success",
    latencyMs: 5,
    ...extra,
  });
  const summary = (extra: Record<string, unknown>) => ({
    flagKey: world.flagKeys[0],
    variant: "on",
    minute: new Date().toISOString(),
    requests: 1,
    errors: 0,
    latencySumMs: 5,
    latencyBuckets: [1, ...Array.from({ length: 19 }, () => 0)],
    ...extra,
  });
  const TOO_LATE = "must be epoch milliseconds of at most 8640000000000000 (the latest time a date can hold)";

  it.each([9e15, 8.64e15 + 1, 2 ** 53 - 1])(
    "an event timestamp of %d, past any Date, is a 400 naming the field (was a RangeError 500)",
    async (timestamp) => {
      const res = await refusedUnchanged(() =>
        call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { events: [event({}), event({ timestamp })] } }),
      );
      expect(res.body).toEqual({
        index: 1,
        error: {
          code: "VALIDATION_FAILED",
          message: "Event 1 is invalid; the batch was rejected",
          fields: { "events.1.timestamp": TOO_LATE },
        },
      });
    },
  );

  it("a summary minute past any Date is a 400 naming the field; the last one a Date holds meets the time window", async () => {
    const late = await refusedUnchanged(() =>
      call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { summaries: [summary({ minute: 9e15 })] } }),
    );
    expect(late.body).toMatchObject({ index: 0, error: { fields: { "summaries.0.minute": TOO_LATE } } });
    const last = await refusedUnchanged(() =>
      call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: { events: [event({ timestamp: 8.64e15 })] } }),
    );
    expect(last.body).toMatchObject({ index: 0, error: { fields: { "events.0.timestamp": "outside the accepted window" } } });
  });

  const bucket = (extra: Record<string, unknown>) => ({
    start: new Date(Date.now() - 60_000).toISOString(),
    stop: new Date().toISOString(),
    toggles: { [world.flagKeys[0]!]: { yes: 3, no: 1 } },
    ...extra,
  });
  const unleashMetrics = (body: unknown) => call(app.url, "POST", "/api/client/metrics", { token: SDK_TOKEN, body });

  it("Unleash metrics with a NUL in a toggle name are a 400 naming it (was PostgreSQL 22021, a 500)", async () => {
    const res = await refusedUnchanged(() => unleashMetrics({ bucket: bucket({ toggles: { "dark\u0000mode": { yes: 1, no: 0 } } }) }));
    expect(res.body.error).toEqual({
      code: "VALIDATION_FAILED",
      message: "The metrics report is invalid; nothing was counted",
      fields: { "bucket.toggles": 'toggle name "dark\\u0000mode" contains control characters' },
    });
  });

  it("an Unleash bucket that stops before it starts, or counts past 1e9, is a 400 per field; 1e9 itself counts", async () => {
    const now = Date.now();
    const key = world.flagKeys[0]!;
    const backwards = await refusedUnchanged(() => unleashMetrics({ bucket: bucket({ start: now, stop: now - 60_000 }) }));
    expect(backwards.body.error.fields).toEqual({ "bucket.stop": "must not be before start" });
    const huge = await refusedUnchanged(() =>
      unleashMetrics({ bucket: bucket({ toggles: { [key]: { yes: 9e15, no: 1, variants: { on: 1e9 + 1 } } } }) }),
    );
    expect(huge.body.error.fields).toEqual({
      [`bucket.toggles.${key}.yes`]: "yes must be at most 1000000000",
      [`bucket.toggles.${key}.variants.on`]: "each variant count must be at most 1000000000",
    });
    const before = await rollups();
    expect((await unleashMetrics({ bucket: bucket({ toggles: { [key]: { yes: 1e9, no: 0 } } }) })).status).toBe(202);
    expect(BigInt((await rollups()).evaluations) - BigInt(before.evaluations)).toBe(1_000_000_000n);
  });

  it.each([
    ["", "required", "The request body must be a JSON object"],
    ["appName=x", "not valid JSON", "The request body is not valid JSON"],
    ["[1]", "not a JSON object", "The request body must be a JSON object"],
    ["null", "not a JSON object", "The request body must be a JSON object"],
  ])("Unleash registration with the body %j is a 400 (was a 202)", async (rawBody, field, message) => {
    const res = await call(app.url, "POST", "/api/client/register", { token: SDK_TOKEN, rawBody });
    expect(res).toEqual({ status: 400, body: { error: { code: "VALIDATION_FAILED", message, fields: { body: field } } } });
  });

  it("Unleash registration with a JSON object is still accepted", async () => {
    const res = await call(app.url, "POST", "/api/client/register", { token: SDK_TOKEN, body: { appName: "svc", instanceId: "i-1" } });
    expect(res.status).toBe(202);
  });

  const REFUSED_KEY =
    "X-API-Key is accepted only by evaluation (OFREP), the SDK stream and events; send the token as 'Authorization: Bearer <token>'";

  it("X-API-Key is refused on the management API and the dashboard's data routes with a 401 saying to use Bearer", async () => {
    const key = world.flagKeys[0]!;
    const asKey = (method: string, path: string, headers: [string, string][] = [], body?: string) =>
      sendRaw(app.url, {
        method,
        path,
        headers: [["x-api-key", eng], ["content-type", "application/json"], ...headers],
        body: body ? Buffer.from(body) : undefined,
      });
    await unchanged(async () => {
      for (const [method, path, body] of [
        ["GET", "/api/v1/flags"],
        ["PATCH", `/api/v1/flags/${key}`, '{"description":"via X-API-Key"}'],
        ["GET", "/api/v1/status"],
        ["GET", `/api/v1/flags/${key}/metrics`],
      ] as const) {
        const res = await asKey(method, path, [], body);
        expect(res.kind === "response" && [method, path, res.status, JSON.parse(res.body).error]).toEqual([
          method,
          path,
          401,
          { code: "UNAUTHENTICATED", message: REFUSED_KEY },
        ]);
      }
      // The same key next to a session cookie does not fall back to the cookie.
      const withCookie = await asKey("GET", "/api/v1/flags", [["cookie", world.cookies.viewer]]);
      expect(withCookie.kind === "response" && withCookie.status).toBe(401);
    });
    // A Bearer token decides when both are sent.
    const both = await asKey("GET", "/api/v1/flags", [["authorization", `Bearer ${ROLE_TOKENS.viewer}`]]);
    expect(both.kind === "response" && both.status).toBe(200);
  });

  it("X-API-Key still authenticates OFREP, the SDK stream and events, and a user token there is the wrong kind (403)", async () => {
    const sdkKey = (method: string, path: string, body?: unknown, token = SDK_TOKEN) =>
      sendRaw(app.url, {
        method,
        path,
        headers: [
          ["x-api-key", token],
          ["content-type", "application/json"],
        ],
        body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
        streaming: path === "/api/v1/stream",
      });
    const ofrep = await sdkKey("POST", "/ofrep/v1/evaluate/flags", { context: { targetingKey: "u-1" } });
    expect(ofrep.kind === "response" && ofrep.status).toBe(200);
    const stream = await sdkKey("GET", "/api/v1/stream");
    expect(stream.kind === "response" && [stream.status, stream.headers["content-type"]]).toEqual([
      200,
      "text/event-stream; charset=utf-8",
    ]);
    const events = await sdkKey("POST", "/api/v1/events", { events: [event({})] });
    expect(events.kind === "response" && [events.status, JSON.parse(events.body)]).toEqual([202, { accepted: 1, ignored: 0 }]);
    const user = await sdkKey("POST", "/ofrep/v1/evaluate/flags", { context: {} }, eng);
    expect(user.kind === "response" && [user.status, JSON.parse(user.body).errorDetails]).toEqual([
      403,
      expect.stringMatching(/user token/),
    ]);
  });
});

describe("the fuzz run's fingerprinter (tests/fuzz/support/hostile-suite.ts)", () => {
  it("sees every commit since its last read, also one by a transaction open across that read, and reads the same when nothing changed", async () => {
    const fp = await openFingerprinter(t);
    const writer = new pg.Client({ connectionString: t.url });
    await writer.connect();
    const key = world.flagKeys[0]!;
    const original = (await t.sql("SELECT description FROM flags WHERE key = $1", [key])).rows[0]!.description as string;
    try {
      const start = await fp.read();
      expect(await fp.read()).toBe(start);
      // Begun (with an id of its own) before the next read, committed after it.
      await writer.query("BEGIN");
      await writer.query("UPDATE flags SET description = $2 WHERE key = $1", [key, `${original} (changed)`]);
      expect(await fp.read()).toBe(start);
      await writer.query("COMMIT");
      const changed = await fp.read();
      expect(changed).not.toBe(start);
      // A write rolled back changes nothing, though it moved the snapshot on.
      await writer.query("BEGIN");
      await writer.query("UPDATE flags SET description = 'rolled back' WHERE key = $1", [key]);
      await writer.query("ROLLBACK");
      expect(await fp.read()).toBe(changed);
      await writer.query("UPDATE flags SET description = $2 WHERE key = $1", [key, original]);
      expect(await fp.read()).toBe(start);
      expect(await fingerprint(t)).toBe(await fp.read());
    } finally {
      await writer.end();
      await fp.close();
    }
  });
});

describe("the fuzz run's oversized bodies (tests/fuzz/support/hostile.ts)", () => {
  it("are byte for byte the request with a padding field, whatever the request holds", () => {
    const bases: Record<string, unknown>[] = [
      {},
      { key: "flag-a", environments: { production: { enabled: true } } },
      { name: "é🦄\u0000\u2028", nested: [1, "x", null], "": "" },
      { pad: 1, after: "the padding keeps its place" },
    ];
    for (const base of bases)
      for (const n of [0, 7, 1_200_000]) {
        const expected = Buffer.from(JSON.stringify({ ...base, pad: "x".repeat(n) }));
        expect(oversizedBody(base, n).equals(expected), `${JSON.stringify(base)} + ${n}`).toBe(true);
      }
    // The padding made once is not written through: the next body is the same again.
    expect(oversizedBody({ a: 1 }, 7).equals(oversizedBody({ a: 1 }, 7))).toBe(true);
  });
});
