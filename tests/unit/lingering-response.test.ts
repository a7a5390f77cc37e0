import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LingeringResponse } from "../../lib/server/request-body";

let server: Server | null = null;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A server of LingeringResponses answering with `handler`; resolves with its port. */
function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  server = createServer({ ServerResponse: LingeringResponse }, handler);
  return new Promise((resolve) => server!.listen(0, "127.0.0.1", () => resolve((server!.address() as AddressInfo).port)));
}

/**
 * POSTs `parts` of a body with `gapMs` between them on a connection to close after the answer (where
 * ending early loses the answer to a reset); resolves with the status, the answer and when it ended.
 */
function post(port: number, parts: string[], gapMs: number): Promise<{ status: number; body: string; endedAt: number; sentAt: number }> {
  return new Promise((resolve, reject) => {
    let sentAt = 0;
    const req = request(
      { port, host: "127.0.0.1", method: "POST", path: "/", headers: { "content-length": parts.join("").length, connection: "close" } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, endedAt: performance.now(), sentAt }));
      },
    );
    req.on("error", reject);
    const send = (i: number) => {
      if (i === parts.length - 1) {
        sentAt = performance.now();
        req.end(parts[i]);
        return;
      }
      req.write(parts[i]);
      setTimeout(() => send(i + 1), gapMs);
    };
    send(0);
  });
}

describe("LingeringResponse", () => {
  it("answers at once but ends only after the rest of the request body has arrived", async () => {
    const port = await serve((_req, res) => {
      // Answered before the body is read, as a route refusing a request early does.
      res.writeHead(413, { "content-type": "text/plain" });
      res.end("too large");
    });
    const answer = await post(port, ["a".repeat(1000), "b".repeat(1000), "c".repeat(1000)], 50);
    expect(answer.status).toBe(413);
    expect(answer.body).toBe("too large");
    // The whole body had been sent when the answer ended (sentAt stays 0 until the last part goes).
    expect(answer.sentAt).toBeGreaterThan(0);
    expect(answer.endedAt).toBeGreaterThanOrEqual(answer.sentAt);
  });

  it("ends a response whose body was read like any other, with no wrapper put on the response", async () => {
    const ownEnd: boolean[] = [];
    const port = await serve((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        ownEnd.push(Object.hasOwn(res, "end"));
        res.end(`read ${body.length}`);
      });
    });
    const answer = await post(port, ["x".repeat(10)], 0);
    expect(answer).toMatchObject({ status: 200, body: "read 10" });
    // A per-request closure put on each response made V8 keep request objects alive across
    // young-generation collections (lib/server/request-body.ts): the class method does the work.
    expect(ownEnd).toEqual([false]);
  });
});
