// The data plane's answers to clients that send the wrong kind of token or too many requests.
import { beforeAll, describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { eventually } from "../support/eventually";

const LIMIT = 20;

const { app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP, env: { ROLLGATE_SDK_RATE_LIMIT: String(LIMIT) } });
beforeAll(async () => {
  expect((await call(app.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key: "limited" } })).status).toBe(201);
  // The data plane serves the flag once its NOTIFY has reached the store: until then an evaluation is
  // a 404 (one landed in a CI run's burst below, on a loaded machine). Then a second for the token's
  // bucket to refill from these checks, so the burst starts from a full one.
  await eventually(async () => (await evaluate(SDK_TOKEN)).status === 200, 10_000, "the data plane serves the flag");
  await new Promise((r) => setTimeout(r, 1100));
});

const evaluate = (token: string) =>
  fetch(`${app.url}/ofrep/v1/evaluate/flags/limited`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ context: { targetingKey: "u" } }),
  });

describe("data plane limits", () => {
  it("a user token is the wrong kind: 403 saying so on OFREP, the stream and events; an unknown one 401", async () => {
    const user = ROLE_TOKENS.viewer;
    const ofrep = await evaluate(user);
    expect(ofrep.status).toBe(403);
    expect(await ofrep.json()).toMatchObject({ key: "limited", errorCode: "GENERAL", errorDetails: expect.stringMatching(/user token/) });
    const stream = await fetch(`${app.url}/api/v1/stream`, { headers: { authorization: `Bearer ${user}` } });
    expect(stream.status).toBe(403);
    expect((await stream.json()).error.code).toBe("FORBIDDEN");
    const events = await call(app.url, "POST", "/api/v1/events", { token: user, body: { events: [] } });
    expect(events.status).toBe(403);
    const unknown = await evaluate("not-a-token");
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get("www-authenticate")).toMatch(/Bearer/);
  });

  it("a runaway token gets 429 with Retry-After, its open stream is untouched, and the bucket refills", async () => {
    const stream = new AbortController();
    const open = await fetch(`${app.url}/api/v1/stream`, { headers: { authorization: `Bearer ${SDK_TOKEN}` }, signal: stream.signal });
    expect(open.status).toBe(200);
    const reader = open.body!.getReader();
    await reader.read(); // the snapshot
    try {
      // A burst well over a second's worth: however slowly a loaded machine serves it, most is refused.
      const burst = await Promise.all(
        Array.from({ length: LIMIT * 5 }, async () => {
          const r = await evaluate(SDK_TOKEN);
          return { status: r.status, retryAfter: r.headers.get("retry-after"), body: (await r.json()) as { errorDetails?: string } };
        }),
      );
      const ok = burst.filter((r) => r.status === 200).length;
      const refused = burst.filter((r) => r.status === 429);
      expect(ok).toBeGreaterThanOrEqual(LIMIT - 2);
      expect(refused.length).toBeGreaterThanOrEqual(LIMIT);
      expect(ok + refused.length, `statuses: ${burst.map((r) => r.status).join(" ")}`).toBe(burst.length);
      expect(Number(refused[0]!.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(refused[0]!.body.errorDetails).toMatch(/too many requests/);
      // The stream opened before still delivers: a change reaches it.
      expect((await call(app.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: { key: "after-limit" } })).status).toBe(
        201,
      );
      let text = "";
      while (!text.includes("after-limit")) text += new TextDecoder().decode((await reader.read()).value);
      // Within a second the bucket refills.
      await new Promise((r) => setTimeout(r, 1100));
      expect((await evaluate(SDK_TOKEN)).status).toBe(200);
    } finally {
      stream.abort();
    }
  });
});
