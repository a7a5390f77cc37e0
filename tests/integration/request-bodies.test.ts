// Bodies the server does not want: every refused upload is answered, never reset, and a client that
// leaves mid-upload is no database outage.
import http from "node:http";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { setUpTestApp } from "../support/fixture";
import { BOOTSTRAP, call, ROLE_TOKENS, SDK_TOKEN } from "../support/http";
import { serverActionIds } from "../fuzz/support/fuzz-world";

const { app } = setUpTestApp({ bootstrapTokens: BOOTSTRAP });

/** One 10 MB body for every upload: the test measures the server, not the allocator. */
const TEN_MB = Buffer.alloc(10_000_000, "x");

type Outcome = { status: number; body: string; reused: boolean } | { error: string };

/**
 * Sends `body` with node:http, as a client that closes after one request (`Connection: close`)
 * does: the case in which the server closed with the upload unread and the client saw EPIPE or
 * ECONNRESET instead of the answer. With `agent` the connection is kept alive and may be reused.
 */
function upload(path: string, headers: Record<string, string>, body: Buffer, agent?: http.Agent): Promise<Outcome> {
  const url = new URL(app.url);
  return new Promise((resolve) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method: "POST",
      path,
      agent: agent ?? false,
      headers: { ...headers, "content-length": String(body.length), ...(agent ? {} : { connection: "close" }) },
    });
    // Settled once the request is over too (the answer may come before the upload is), so the
    // next request on a kept-alive agent finds the connection free.
    let answer: Outcome | undefined;
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => (answer ??= { status: res.statusCode!, body: Buffer.concat(chunks).toString("utf8"), reused: req.reusedSocket }));
      res.on("error", (err) => (answer ??= { error: String(err) }));
    });
    req.on("error", (err) => (answer ??= { error: `${(err as NodeJS.ErrnoException).code ?? ""} ${err.message}` }));
    req.on("close", () => resolve(answer ?? { error: "closed without an answer" }));
    req.end(body);
  });
}

const sdk = { authorization: `Bearer ${SDK_TOKEN}`, "content-type": "application/json" };

describe("oversized uploads", () => {
  // Routes that take a body answer 413; the two that take none answer 405 (the method is the first
  // thing wrong with the request), and the upload is read to its end all the same.
  const routes: [string, string, () => Record<string, string>, number][] = [
    ["OFREP bulk evaluation", "/ofrep/v1/evaluate/flags", () => sdk, 413],
    ["SDK events", "/api/v1/events", () => sdk, 413],
    ["Unleash metrics", "/api/client/metrics", () => ({ authorization: SDK_TOKEN, "content-type": "application/json" }), 413],
    ["POST to the status route", "/api/v1/status", () => ({ authorization: `Bearer ${ROLE_TOKENS.viewer}` }), 405],
    ["POST to the SDK stream", "/api/v1/stream", () => sdk, 405],
    [
      "management API",
      "/api/v1/flags",
      () => ({ authorization: `Bearer ${ROLE_TOKENS.engineer}`, "content-type": "application/json" }),
      413,
    ],
    [
      "a server action",
      "/sign-in",
      () => ({ "next-action": serverActionIds().get("signInAction")!, "content-type": "text/plain;charset=UTF-8", origin: app.url }),
      413,
    ],
  ];

  it.for(routes)("50 uploads of 10 MB to %s (%s) each read the answer: no reset", async ([, path, headers, status], { annotate }) => {
    const outcomes: Outcome[] = [];
    // Five at a time: concurrent enough to be quick, few enough for a shared two-core machine.
    for (let sent = 0; sent < 50; sent += 5) {
      outcomes.push(...(await Promise.all(Array.from({ length: 5 }, () => upload(path, headers(), TEN_MB)))));
    }
    const resets = outcomes.filter((o) => "error" in o);
    await annotate(`${path}: ${outcomes.length - resets.length} answered, ${resets.length} reset`);
    expect(resets, `resets: ${[...new Set(resets.map((r) => ("error" in r ? r.error : "")))].join(", ")}`).toEqual([]);
    expect(outcomes.map((o) => ("status" in o ? o.status : 0))).toEqual(Array.from({ length: 50 }, () => status));
  });

  it("the answer says what was wrong, in the route's own error shape", async () => {
    const ofrep = await upload("/ofrep/v1/evaluate/flags", sdk, TEN_MB);
    expect("body" in ofrep && JSON.parse(ofrep.body)).toEqual({ errorCode: "PARSE_ERROR", errorDetails: "body exceeds 1000000 bytes" });
    const events = await upload("/api/v1/events", sdk, TEN_MB);
    expect("body" in events && JSON.parse(events.body).error).toEqual({
      code: "PAYLOAD_TOO_LARGE",
      message: "body exceeds 4000000 bytes",
      fields: { body: "body exceeds 4000000 bytes" },
    });
  });

  it("a refused upload on a kept-alive connection is read to its end, so the connection serves the next request", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = await upload("/ofrep/v1/evaluate/flags", sdk, TEN_MB, agent);
      expect("status" in refused && refused.status).toBe(413);
      const next = await upload("/ofrep/v1/evaluate/flags", sdk, Buffer.from('{"context":{"targetingKey":"u-1"}}'), agent);
      expect(next).toMatchObject({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });
});

describe("a client that leaves mid-upload", () => {
  /** Sends the headers and part of a body, lets the server start reading it, then drops the connection. */
  const abandon = (path: string, headers: string) =>
    new Promise<void>((resolve, reject) => {
      const url = new URL(app.url);
      const socket = net.connect(Number(url.port), url.hostname, () => {
        socket.write(
          `POST ${path} HTTP/1.1\r\nhost: ${url.host}\r\n${headers}content-length: 900000\r\n\r\n{"key":"${"a".repeat(100_000)}`,
        );
        // The route authenticates (a database query) before it reads; then it waits for the rest.
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 300);
      });
      socket.on("error", reject);
    });

  it("is not logged as a database outage, and the routes it used keep answering", async () => {
    const before = app.output().length;
    for (let i = 0; i < 3; i++) {
      await abandon("/api/v1/flags", `authorization: Bearer ${ROLE_TOKENS.engineer}\r\ncontent-type: application/json\r\n`);
      await abandon("/api/v1/events", `authorization: Bearer ${SDK_TOKEN}\r\ncontent-type: application/json\r\n`);
    }
    // A request through the same routes after the aborted ones: answered, so those were handled first.
    expect((await call(app.url, "POST", "/api/v1/flags", { token: ROLE_TOKENS.engineer, body: {} })).status).toBe(400);
    expect((await call(app.url, "POST", "/api/v1/events", { token: SDK_TOKEN, body: {} })).status).toBe(400);
    const logged = app.output().slice(before);
    expect(logged).not.toMatch(/database unavailable|request failed|unhandled error/);
  });
});
