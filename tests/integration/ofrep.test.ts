import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OFREPWebProvider } from "@openfeature/ofrep-web-provider";
import { OpenFeature as ServerOpenFeature, type Client } from "@openfeature/server-sdk";
import { OpenFeature as WebOpenFeature } from "@openfeature/web-sdk";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { bucketOf } from "../../lib/domain/bucketing";
import { call, patchFlagState } from "../support/http";
import { eventually } from "../support/eventually";

const ENG = "ofrep-engineer-token";
const SDK = "ofrep-sdk-production";
const SDK_STAGING = "ofrep-sdk-staging";
let client: Client;

async function setState(key: string, body: Record<string, unknown>, env = "production") {
  const res = await patchFlagState(app.url, ENG, key, env, body);
  expect(res.status).toBe(200);
  return res.body;
}

const keyInBucket = (flag: string, pred: (b: number) => boolean) => {
  for (let i = 0; ; i++) if (pred(bucketOf(flag, `u-${i}`))) return `u-${i}`;
};

const { t, app } = setUpTestApp({ bootstrapTokens: `eng:engineer:${ENG},sdk:production:${SDK},sdk:staging:${SDK_STAGING}` });
beforeAll(async () => {
  for (const key of ["of-allow", "of-split", "of-disabled", "of-killed", "of-static"]) {
    expect((await call(app.url, "POST", "/api/v1/flags", { token: ENG, body: { key } })).status).toBe(201);
  }
  await setState("of-allow", { enabled: true, rolloutPercent: 0, allowlist: ["qa-1"] });
  await setState("of-split", { enabled: true, rolloutPercent: 30 });
  await setState("of-static", { enabled: true, rolloutPercent: 100 });
  await setState("of-killed", { enabled: true, rolloutPercent: 100 });
  // The kill switch has its own issue; flip the column directly — the trigger still notifies.
  await t.sql(
    "UPDATE flag_states s SET killed = true, version = version + 1 FROM flags f WHERE f.id = s.flag_id AND f.key = 'of-killed' AND s.environment_key = 'production'",
  );

  await ServerOpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl: app.url, headers: [["Authorization", `Bearer ${SDK}`]] }));
  client = ServerOpenFeature.getClient();
  // The snapshot catches up through NOTIFY; wait until the kill is visible.
  await eventually(async () => (await client.getBooleanDetails("of-killed", true, { targetingKey: "x" })).reason === "DISABLED");
});
afterAll(async () => {
  await ServerOpenFeature.close();
  await WebOpenFeature.close();
});

describe("OFREP with the published OpenFeature server provider", () => {
  it("allowlisted user → on, TARGETING_MATCH", async () => {
    expect(await client.getBooleanDetails("of-allow", false, { targetingKey: "qa-1" })).toMatchObject({
      value: true,
      variant: "on",
      reason: "TARGETING_MATCH",
    });
    expect(await client.getBooleanDetails("of-allow", true, { targetingKey: "someone-else" })).toMatchObject({
      value: false,
      variant: "off",
      reason: "STATIC",
    });
  });

  it("in-rollout and out-of-rollout users → SPLIT on/off by bucket", async () => {
    const inKey = keyInBucket("of-split", (b) => b <= 30);
    const outKey = keyInBucket("of-split", (b) => b > 30);
    expect(await client.getBooleanDetails("of-split", false, { targetingKey: inKey })).toMatchObject({
      value: true,
      variant: "on",
      reason: "SPLIT",
    });
    expect(await client.getBooleanDetails("of-split", true, { targetingKey: outKey })).toMatchObject({
      value: false,
      variant: "off",
      reason: "SPLIT",
    });
  });

  it("disabled and killed flags → off, DISABLED; 100 % → on, STATIC", async () => {
    expect(await client.getBooleanDetails("of-disabled", true, { targetingKey: "u" })).toMatchObject({
      value: false,
      variant: "off",
      reason: "DISABLED",
    });
    expect(await client.getBooleanDetails("of-killed", true, { targetingKey: "qa-1" })).toMatchObject({
      value: false,
      variant: "off",
      reason: "DISABLED",
    });
    expect(await client.getBooleanDetails("of-static", false, { targetingKey: "u" })).toMatchObject({
      value: true,
      variant: "on",
      reason: "STATIC",
    });
  });

  it("unknown flag → FLAG_NOT_FOUND with the default value", async () => {
    expect(await client.getBooleanDetails("no-such-flag", true, { targetingKey: "u" })).toMatchObject({
      value: true,
      reason: "ERROR",
      errorCode: "FLAG_NOT_FOUND",
    });
  });

  it("a split without a targeting key → TARGETING_KEY_MISSING", async () => {
    expect(await client.getBooleanDetails("of-split", false, {})).toMatchObject({
      value: false,
      reason: "ERROR",
      errorCode: "TARGETING_KEY_MISSING",
    });
  });

  it("missing or wrong token → 401 GENERAL saying why; the provider serves the default value with GENERAL", async () => {
    const cases: [[string, string][], string][] = [
      [[], "send an SDK token as 'Authorization: Bearer <token>' or 'X-API-Key'"],
      [[["Authorization", "Bearer nope"]], "unknown or revoked SDK token"],
    ];
    for (const [headers, why] of cases) {
      const raw = await fetch(`${app.url}/ofrep/v1/evaluate/flags/of-static`, {
        method: "POST",
        headers: [...headers, ["content-type", "application/json"]],
        body: JSON.stringify({ context: { targetingKey: "u" } }),
      });
      expect(raw.status).toBe(401);
      expect(await raw.json()).toEqual({ key: "of-static", errorCode: "GENERAL", errorDetails: why });

      const provider = new OFREPProvider({ baseUrl: app.url, headers });
      await ServerOpenFeature.setProviderAndWait("unauth", provider);
      const details = await ServerOpenFeature.getClient("unauth").getBooleanDetails("of-static", false, { targetingKey: "u" });
      expect(details).toMatchObject({ value: false, reason: "ERROR", errorCode: "GENERAL" });
    }
  });

  it("the SDK token fixes the environment", async () => {
    const res = await fetch(`${app.url}/ofrep/v1/evaluate/flags/of-static`, {
      method: "POST",
      headers: { "x-api-key": SDK_STAGING, "content-type": "application/json" },
      body: JSON.stringify({ context: { targetingKey: "u" } }),
    });
    expect(await res.json()).toMatchObject({ key: "of-static", value: false, reason: "DISABLED", metadata: { environment: "staging" } });
  });
});

describe("OFREP error bodies (raw HTTP)", () => {
  it.each([
    ["not JSON", "{oops", 400, "PARSE_ERROR"],
    ["no context", "{}", 400, "INVALID_CONTEXT"],
    ["an empty body", "", 400, "INVALID_CONTEXT"],
    ["context not an object", JSON.stringify({ context: 5 }), 400, "INVALID_CONTEXT"],
    ["targetingKey not a string", JSON.stringify({ context: { targetingKey: 7 } }), 400, "INVALID_CONTEXT"],
  ])("%s → %i %s with key", async (_n, body, status, errorCode) => {
    const res = await fetch(`${app.url}/ofrep/v1/evaluate/flags/of-split`, {
      method: "POST",
      headers: { authorization: `Bearer ${SDK}` },
      body,
    });
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ key: "of-split", errorCode });
  });
});

describe("bulk evaluation", () => {
  it("answers 304 to a matching If-None-Match until the configuration or context changes", async () => {
    const bulk = (context: object, etag?: string) =>
      fetch(`${app.url}/ofrep/v1/evaluate/flags`, {
        method: "POST",
        headers: { authorization: `Bearer ${SDK}`, "content-type": "application/json", ...(etag ? { "if-none-match": etag } : {}) },
        body: JSON.stringify({ context }),
      });
    const first = await bulk({ targetingKey: "qa-1" });
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag")!;
    const body = await first.json();
    expect(body.flags.find((f: { key: string }) => f.key === "of-allow")).toMatchObject({ value: true, reason: "TARGETING_MATCH" });

    expect((await bulk({ targetingKey: "qa-1" }, etag)).status).toBe(304);
    const otherContext = await bulk({ targetingKey: "qa-2" }, etag);
    expect(otherContext.status).toBe(200);
    expect(otherContext.headers.get("etag")).not.toBe(etag);

    await setState("of-disabled", { enabled: true, rolloutPercent: 100 });
    await eventually(async () => (await bulk({ targetingKey: "qa-1" }, etag)).status === 200);
    const changed = await bulk({ targetingKey: "qa-1" }, etag);
    expect(changed.headers.get("etag")).not.toBe(etag);
    expect((await changed.json()).flags.find((f: { key: string }) => f.key === "of-disabled")).toMatchObject({
      value: true,
      reason: "STATIC",
    });
    await setState("of-disabled", { enabled: false });
  });

  it("a percentage drawn by chance for a context without user or session id is validated by its answers, not answered 304 as it was", async () => {
    const key = "of-anonymous";
    expect((await call(app.url, "POST", "/api/v1/flags", { token: ENG, body: { key } })).status).toBe(201);
    await setState(key, { enabled: true, targeting: { strategies: [{ rollout: 50, stickiness: "default" }] } });
    const bulk = (context: object, etag?: string) =>
      fetch(`${app.url}/ofrep/v1/evaluate/flags`, {
        method: "POST",
        headers: { authorization: `Bearer ${SDK}`, "content-type": "application/json", ...(etag ? { "if-none-match": etag } : {}) },
        body: JSON.stringify({ context }),
      });
    const served = async (res: Response) =>
      ((await res.json()) as { flags: { key: string; value?: boolean }[] }).flags.find((f) => f.key === key);
    await eventually(async () => (await served(await bulk({ targetingKey: "someone" }))) !== undefined, 5000, "the flag served");

    // With a user id the answer is the user's bucket: the configuration and context validate it.
    const known = await bulk({ targetingKey: "someone" });
    expect((await bulk({ targetingKey: "someone" }, known.headers.get("etag")!)).status).toBe(304);

    // Without one, each evaluation draws: a 304 would keep the first draw for good. Twenty draws of a
    // fair coin all equal to the first: one chance in a million.
    const first = await bulk({ appName: "anonymous-page" });
    const etag = first.headers.get("etag")!;
    const firstValue = (await served(first))?.value;
    const again = await Promise.all(Array.from({ length: 20 }, () => bulk({ appName: "anonymous-page" }, etag)));
    const answered = again.filter((res) => res.status === 200);
    const values = await Promise.all(answered.map(async (res) => (await served(res))?.value));
    expect(values).toContain(!firstValue);
    expect(answered.every((res) => res.headers.get("etag") !== etag)).toBe(true);
  });

  it("a flag that reads the clock (DATE_AFTER) is not answered 304 once the moment passed: its answers, not only the configuration, are validated", async () => {
    const key = "of-dated";
    expect((await call(app.url, "POST", "/api/v1/flags", { token: ENG, body: { key } })).status).toBe(201);
    const at = new Date(Date.now() + 4000).toISOString();
    await setState(key, {
      enabled: true,
      targeting: { strategies: [{ rollout: 100, constraints: [{ contextName: "currentTime", operator: "DATE_AFTER", value: at }] }] },
    });
    const bulk = (etag?: string) =>
      fetch(`${app.url}/ofrep/v1/evaluate/flags`, {
        method: "POST",
        headers: { authorization: `Bearer ${SDK}`, "content-type": "application/json", ...(etag ? { "if-none-match": etag } : {}) },
        body: JSON.stringify({ context: { targetingKey: "someone" } }),
      });
    const dated = async (res: Response) =>
      ((await res.json()) as { flags: { key: string; value?: boolean }[] }).flags.find((f) => f.key === key);
    let before = await bulk();
    await eventually(
      async () => (await dated((before = await bulk())))?.value === false,
      5000,
      "the dated flag served, off before its moment",
    );
    before = await bulk();
    const etag = before.headers.get("etag")!;
    expect((await bulk(etag)).status).toBe(304); // the same answers: still a 304
    await new Promise((r) => setTimeout(r, Date.parse(at) - Date.now() + 100));
    const after = await bulk(etag);
    expect(after.status).toBe(200);
    expect(await dated(after)).toMatchObject({ value: true });
  });

  it("the published OpenFeature web provider evaluates from bulk and picks up changes by polling", async () => {
    await WebOpenFeature.setContext({ targetingKey: "qa-1" });
    await WebOpenFeature.setProviderAndWait(
      new OFREPWebProvider({
        baseUrl: app.url,
        headers: [["Authorization", `Bearer ${SDK}`]],
        pollInterval: 100,
        changeDetection: "polling",
        cacheMode: "disabled",
        disableVisibilityRefresh: true,
      }),
    );
    const web = WebOpenFeature.getClient();
    expect(web.getBooleanDetails("of-allow", false)).toMatchObject({ value: true, variant: "on", reason: "TARGETING_MATCH" });
    expect(web.getBooleanDetails("of-killed", true)).toMatchObject({ value: false, reason: "DISABLED" });
    expect(web.getBooleanDetails("no-such-flag", true)).toMatchObject({ value: true, errorCode: "FLAG_NOT_FOUND" });

    await setState("of-allow", { allowlist: [] });
    await eventually(() => web.getBooleanDetails("of-allow", true).value === false, 5000);
    expect(web.getBooleanDetails("of-allow", true)).toMatchObject({ value: false, reason: "STATIC" });
  });
});

describe("SDK token revocation", () => {
  it("a revoked token stops working on the data plane as soon as the change is committed", async () => {
    const evalWith = (token: string) =>
      fetch(`${app.url}/ofrep/v1/evaluate/flags/of-static`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        body: `{"context":{}}`,
      });
    expect((await evalWith(SDK_STAGING)).status).toBe(200); // now cached in memory
    await t.sql("UPDATE api_tokens SET revoked_at = now() WHERE token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')", [SDK_STAGING]);
    await eventually(async () => (await evalWith(SDK_STAGING)).status === 401, 5000, "revocation reaches the data plane");
  });
});

describe("dashboard live stream", () => {
  it("needs a user (not an SDK token), opens with every environment's version and names only the flags a change touched", async () => {
    expect((await fetch(`${app.url}/api/v1/live`)).status).toBe(401);
    expect((await fetch(`${app.url}/api/v1/live`, { headers: { authorization: `Bearer ${SDK}` } })).status).toBe(401);
    const ctrl = new AbortController();
    const res = await fetch(`${app.url}/api/v1/live`, { headers: { authorization: `Bearer ${ENG}` }, signal: ctrl.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = "";
    while (!(text.includes('"environment":"staging"') && text.includes('"environment":"production"'))) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const versions = Object.fromEntries(
      (await t.sql("SELECT key, config_version::int AS v FROM environments")).rows.map((r: { key: string; v: number }) => [r.key, r.v]),
    );
    const opening = text
      .split("\n\n")
      .filter((e) => e.startsWith("event: config"))
      .map((e) => JSON.parse(e.slice(e.indexOf("data: ") + 6)) as unknown);
    // Versions only: no flag, no configuration (a snapshot is a megabyte per environment at 10,000 flags).
    expect(opening).toEqual(
      expect.arrayContaining([
        { environment: "production", version: versions.production },
        { environment: "staging", version: versions.staging },
      ]),
    );
    expect(text).not.toContain('"of-split"');

    // After that, a change names only the flag it touched, with its new version.
    const before = text.length;
    expect((await call(app.url, "POST", "/api/v1/flags", { token: ENG, body: { key: "of-live-patch" } })).status).toBe(201);
    while (!text.slice(before).includes('"of-live-patch"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const changes = text
      .slice(before)
      .split("\n\n")
      .filter((e) => e.includes('"of-live-patch"'));
    expect(changes[0]).toMatch(/^event: config\ndata: /);
    const change = JSON.parse(changes[0]!.slice(changes[0]!.indexOf("data: ") + 6)) as {
      environment: string;
      version: number;
      flags: unknown;
    };
    expect(change.flags).toEqual({ "of-live-patch": 1 });
    expect(change.version).toBeGreaterThan(versions[change.environment]!);

    // A change of more flags than an event lists (one statement creating 150) names none of them:
    // pages that care fetch what they show.
    const beforeMany = text.length;
    await t.sql("INSERT INTO flags (key) SELECT 'of-many-' || i FROM generate_series(1, 150) i");
    const manyVersion = Number((await t.sql("SELECT config_version::int AS v FROM environments WHERE key = 'production'")).rows[0].v);
    while (!text.slice(beforeMany).includes(`"environment":"production","version":${manyVersion}`)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const many = text
      .slice(beforeMany)
      .split("\n\n")
      .find((e) => e.includes(`"environment":"production","version":${manyVersion}`))!;
    expect(JSON.parse(many.slice(many.indexOf("data: ") + 6))).toEqual({ environment: "production", version: manyVersion });

    // An environment added after the page connected is streamed too.
    await t.sql("INSERT INTO environments (key, name) VALUES ('qa-live', 'QA')");
    while (!text.includes('"environment":"qa-live"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ctrl.abort();
    expect(text).toContain('"environment":"qa-live"');
  });
});

describe("CORS for browser SDKs", () => {
  it("answers preflights and exposes ETag on the data-plane routes", async () => {
    for (const path of ["/ofrep/v1/evaluate/flags", "/ofrep/v1/evaluate/flags/of-split", "/api/v1/events", "/api/v1/stream"]) {
      const pre = await fetch(`${app.url}${path}`, {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example",
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,content-type",
        },
      });
      expect(pre.status, path).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe("*");
      expect(pre.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    }
    const res = await fetch(`${app.url}/ofrep/v1/evaluate/flags`, {
      method: "POST",
      headers: { authorization: `Bearer ${SDK}`, origin: "https://app.example" },
      body: "{}",
    });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-expose-headers")).toMatch(/ETag/);
  });
});

describe("environments added while running", () => {
  it("serve SDK tokens for them without a restart", async () => {
    await t.sql("INSERT INTO environments (key, name) VALUES ('late-env', 'Late')");
    await t.sql(
      "INSERT INTO api_tokens (name, kind, environment_key, token_hash, token_prefix) VALUES ('late', 'sdk', 'late-env', encode(sha256(convert_to('late-env-token', 'UTF8')), 'hex'), 'late-env')",
    );
    const bulk = () =>
      fetch(`${app.url}/ofrep/v1/evaluate/flags`, {
        method: "POST",
        headers: { authorization: "Bearer late-env-token" },
        body: `{"context":{}}`,
      });
    await eventually(async () => (await bulk()).status === 200, 5000, "the new environment is served");
    const body = await (await bulk()).json();
    expect(body.metadata.environment).toBe("late-env");
    expect(body.flags.find((f: { key: string }) => f.key === "of-static")).toMatchObject({ value: false, reason: "DISABLED" });
  });
});

/** Reads an SSE response as text, resolving `saw` once a pattern has arrived. */
function sseReader(res: Response) {
  const reader = res.body!.getReader();
  let text = "";
  const waiters = new Set<() => void>();
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return true;
        text += Buffer.from(value).toString("utf8");
        for (const w of waiters) w();
      }
    } catch {
      return false;
    }
  })();
  const saw = (pattern: RegExp, timeoutMs = 5000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = text.match(pattern);
        if (!m) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(m);
      };
      const timer = setTimeout(() => (waiters.delete(check), reject(new Error(`no ${pattern} in:\n${text}`))), timeoutMs);
      waiters.add(check);
      check();
    });
  return { saw, ended, text: () => text, cancel: () => reader.cancel().catch(() => {}) };
}

describe("OFREP event stream (ADR-0008, OFREP 0.3)", () => {
  const bulk = (token = SDK, query = "") =>
    fetch(`${app.url}/ofrep/v1/evaluate/flags${query}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ context: { targetingKey: "qa-1" } }),
    });
  const streamUri = async (token = SDK): Promise<string> => {
    const body = await (await bulk(token)).json();
    expect(body.eventStreams).toEqual([
      { type: "sse", endpoint: { requestUri: expect.stringMatching(/^\/ofrep\/v1\/events\?ticket=/) }, inactivityDelaySec: 120 },
    ]);
    return body.eventStreams[0].endpoint.requestUri;
  };

  it("a bulk answer advertises a stream that says refetchEvaluation on every change, with the config version as id", async () => {
    const uri = await streamUri();
    expect(uri).not.toContain(SDK); // the ticket never carries the token itself
    const res = await fetch(`${app.url}${uri}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const stream = sseReader(res);
    const [, connectedAt] = await stream.saw(/id: (\d+)\nevent: message/);
    await setState("of-disabled", { enabled: true, rolloutPercent: 100 });
    const [, id, data] = await stream.saw(new RegExp(`id: (?!${connectedAt}\\n)(\\d+)\\nevent: message\\ndata: (.*)\\n\\n`));
    expect(Number(id)).toBeGreaterThan(Number(connectedAt));
    expect(JSON.parse(data!)).toMatchObject({ type: "refetchEvaluation", etag: `"${id}"`, lastModified: expect.any(Number) });
    // The re-fetch the provider makes (with the SSE metadata as query parameters) sees the change.
    const refetched = await (await bulk(SDK, `?sseEtag=${encodeURIComponent(`"${id}"`)}`)).json();
    expect(refetched.metadata.configVersion).toBe(Number(id));
    expect(refetched.flags.find((f: { key: string }) => f.key === "of-disabled")).toMatchObject({ value: true });
    await stream.cancel();
    await setState("of-disabled", { enabled: false });
  });

  it("a first connection and a reconnect whose Last-Event-ID is behind are told to refetch at once; a current one is not", async () => {
    const uri = await streamUri();
    // Earlier tests' last changes must have reached the data plane, or they would arrive as news below.
    const { rows } = await t.sql("SELECT config_version::int AS v FROM environments WHERE key = 'production'");
    const configVersion = rows[0].v as number;
    await eventually(async () => (await (await bulk()).json()).metadata.configVersion === configVersion, 5000, "the data plane caught up");
    const first = sseReader(await fetch(`${app.url}${uri}`));
    await first.saw(new RegExp(`id: ${configVersion}\\nevent: message`));
    const behind = sseReader(await fetch(`${app.url}${uri}`, { headers: { "last-event-id": String(configVersion - 1) } }));
    await behind.saw(new RegExp(`id: ${configVersion}\\nevent: message`));
    const current = sseReader(await fetch(`${app.url}${uri}`, { headers: { "last-event-id": String(configVersion) } }));
    await current.saw(/retry: \d+\n\n/);
    await setState("of-split", { rolloutPercent: 31 });
    await current.saw(/event: message/);
    expect(current.text().match(/event: message/g)).toHaveLength(1); // only the new change
    await Promise.all([first.cancel(), behind.cancel(), current.cancel()]);
    await setState("of-split", { rolloutPercent: 30 });
  });

  it("refuses a missing, forged or tampered ticket with a message a provider can show", async () => {
    const uri = await streamUri();
    const ticket = new URL(uri, app.url).searchParams.get("ticket")!;
    const [id, expires, mac] = ticket.split(".");
    for (const bad of ["", "nonsense", `${id}.${Number(expires) + 86400}.${mac}`, `${id}.${expires}.${mac!.slice(1)}A`]) {
      const res = await fetch(`${app.url}/ofrep/v1/events?ticket=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(401);
      expect((await res.json()).errorDetails).toMatch(/ticket/);
    }
  });

  it("closes when the SDK token is revoked, and its tickets stop working", async () => {
    const token = "ofrep-events-revoked";
    await t.sql(
      "INSERT INTO api_tokens (name, kind, environment_key, token_hash, token_prefix) VALUES ('events', 'sdk', 'production', encode(sha256(convert_to($1, 'UTF8')), 'hex'), 'ofrep-ev')",
      [token],
    );
    await eventually(async () => (await bulk(token)).status === 200, 5000, "the new token is served");
    const uri = await streamUri(token);
    const stream = sseReader(await fetch(`${app.url}${uri}`));
    await stream.saw(/retry:/);
    await t.sql("UPDATE api_tokens SET revoked_at = now() WHERE token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')", [token]);
    expect(await stream.ended).toBe(true);
    expect((await fetch(`${app.url}${uri}`)).status).toBe(401);
  });

  it("a ticket for a token created a moment ago works before its NOTIFY has reached the server", async () => {
    // The insert's NOTIFY held back (triggers off for this one transaction): the server hears of the
    // token only from the database, as in the moment between a token's creation and its NOTIFY.
    const token = "ofrep-events-unannounced";
    await t.sql(
      `BEGIN; SET LOCAL session_replication_role = replica;
       INSERT INTO api_tokens (name, kind, environment_key, token_hash, token_prefix)
         VALUES ('unannounced', 'sdk', 'production', encode(sha256(convert_to('${token}', 'UTF8')), 'hex'), 'ofrep-un');
       COMMIT;`,
    );
    // The bulk answer is vouched for by the database, and so is the ticket it hands out.
    const uri = await streamUri(token);
    const res = await fetch(`${app.url}${uri}`);
    expect(res.status, res.status === 200 ? "" : await res.clone().text()).toBe(200);
    const stream = sseReader(res);
    await stream.saw(/retry:/);
    await stream.cancel();
    // A ticket naming a token nobody has is still refused after the second look.
    const forged = uri.replace(/ticket=[^.]+/, "ticket=00000000-0000-0000-0000-000000000000");
    expect((await fetch(`${app.url}${forged}`)).status).toBe(401);
  });

  it("the published OpenFeature web provider, with polling off, picks up a change through the stream", async () => {
    // Node 20 has EventSource only behind this flag; the provider needs it to follow eventStreams.
    const child = spawn(
      process.execPath,
      ["--experimental-eventsource", "--no-warnings", "tests/support/ofrep-sse-client.mjs", app.url, SDK, "of-disabled"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => {
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no line from the provider; stderr:\n${stderr}`)), 15_000),
      );
      return JSON.parse((await Promise.race([lines.next(), timeout])).value as string) as { event: string; value: boolean };
    };
    try {
      expect(await next()).toEqual({ event: "ready", value: false });
      // The SSE connection may open after this change: the refetch every first connection is told
      // to make catches it then.
      await setState("of-disabled", { enabled: true, rolloutPercent: 100 });
      let seen = await next();
      while (!seen.value) seen = await next();
      expect(seen).toEqual({ event: "changed", value: true });
    } finally {
      child.kill();
      await setState("of-disabled", { enabled: false });
    }
  });
});
