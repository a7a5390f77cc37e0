import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { negotiateEncoding, staticAssets } from "../../lib/server/static-assets";

// A build directory of our own: a chunk worth compressing, a stylesheet too small to, a font that
// never is, and a nested build-id file.
const CHUNK = `globalThis.rollgate=${JSON.stringify(Array.from({ length: 400 }, (_, i) => `flag-${i}`))};\n`;
const SMALL_CSS = "body{margin:0}\n";
const FONT = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));

let dir: string;
let server: Server;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "rollgate-static-"));
  mkdirSync(path.join(dir, "static", "chunks"), { recursive: true });
  mkdirSync(path.join(dir, "static", "build-1"), { recursive: true });
  writeFileSync(path.join(dir, "static", "chunks", "app.js"), CHUNK);
  writeFileSync(path.join(dir, "static", "chunks", "small.css"), SMALL_CSS);
  writeFileSync(path.join(dir, "static", "chunks", "font.woff2"), FONT);
  writeFileSync(path.join(dir, "static", "build-1", "_buildManifest.js"), "self.__BUILD_MANIFEST={};");
  const serve = staticAssets(dir);
  // What the route leaves alone is answered by a stand-in for Next, so a test can tell who answered.
  server = createServer((req, res) => {
    if (!serve(req, res)) res.writeHead(299, { "x-answered-by": "next" }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(pathname: string, headers: Record<string, string> = {}, method = "GET"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: pathname, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the build's static assets", () => {
  it("are compressed with the best encoding the client takes, and decompress to the file", async () => {
    const br = await get("/_next/static/chunks/app.js", { "accept-encoding": "gzip, deflate, br, zstd" });
    expect(br.status).toBe(200);
    expect(br.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(br.body).toString()).toBe(CHUNK);
    expect(Number(br.headers["content-length"])).toBe(br.body.length);
    expect(br.body.length).toBeLessThan(CHUNK.length / 2);

    const gzip = await get("/_next/static/chunks/app.js", { "accept-encoding": "gzip, br;q=0" });
    expect(gzip.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gzip.body).toString()).toBe(CHUNK);

    const plain = await get("/_next/static/chunks/app.js");
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.body.toString()).toBe(CHUNK);
  });

  it("say they never change, what they are, and that the answer depends on Accept-Encoding", async () => {
    const res = await get("/_next/static/chunks/app.js?dpl=abc", { "accept-encoding": "gzip" });
    expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(res.headers["content-type"]).toBe("application/javascript; charset=utf-8");
    expect(res.headers.vary).toBe("Accept-Encoding");
    expect(res.headers.etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    // The file's own time (written a moment ago), to the second, in HTTP's date format.
    expect(res.headers["last-modified"]).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(Math.abs(Date.parse(String(res.headers["last-modified"])) - Date.now())).toBeLessThan(10 * 60_000);
    expect((await get("/_next/static/chunks/small.css", { "accept-encoding": "gzip" })).headers["content-type"]).toBe(
      "text/css; charset=utf-8",
    );
  });

  it("send small files and fonts as they are", async () => {
    const css = await get("/_next/static/chunks/small.css", { "accept-encoding": "br, gzip" });
    expect(css.headers["content-encoding"]).toBeUndefined();
    expect(css.body.toString()).toBe(SMALL_CSS);
    const font = await get("/_next/static/chunks/font.woff2", { "accept-encoding": "br, gzip" });
    expect(font.headers["content-encoding"]).toBeUndefined();
    expect(font.headers["content-type"]).toBe("font/woff2");
    expect(font.body.equals(FONT)).toBe(true);
  });

  it("answer HEAD without a body and a matching If-None-Match with 304", async () => {
    const head = await get("/_next/static/build-1/_buildManifest.js", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    const again = await get("/_next/static/build-1/_buildManifest.js", { "if-none-match": String(head.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(head.headers.etag);
    expect((await get("/_next/static/build-1/_buildManifest.js", { "if-none-match": 'W/"0-0"' })).status).toBe(200);
  });

  it("leave to Next what they do not know exactly: other files, traversal, ranges, other methods, other paths", async () => {
    for (const [pathname, headers, method] of [
      ["/_next/static/chunks/missing.js", {}, "GET"],
      ["/_next/static/chunks/../chunks/app.js", {}, "GET"],
      ["/_next/static/chunks/%61pp.js", {}, "GET"],
      ["/_next/static/chunks/app.js", { range: "bytes=0-10" }, "GET"],
      ["/_next/static/chunks/app.js", {}, "POST"],
      ["/_next/image?url=x", {}, "GET"],
      ["/flags", {}, "GET"],
    ] as const) {
      const res = await get(pathname, headers, method);
      expect(res.headers["x-answered-by"], `${method} ${pathname}`).toBe("next");
    }
  });

  it("without a build directory, leave everything to Next", async () => {
    const none = staticAssets(path.join(dir, "no-such-build"));
    const res = { writeHead: () => expect.unreachable("wrote a response") } as never;
    expect(none({ url: "/_next/static/chunks/app.js", method: "GET", headers: {} } as never, res)).toBe(false);
  });
});

describe("Accept-Encoding", () => {
  it.each([
    [undefined, "identity"],
    ["", "identity"],
    ["gzip, deflate, br, zstd", "br"],
    ["gzip", "gzip"],
    ["GZIP;Q=0.5", "gzip"],
    ["br;q=0, gzip;q=0.1", "gzip"],
    ["br;q=0, gzip;q=0", "identity"],
    ["*", "br"],
    ["*;q=0, gzip", "gzip"],
    ["deflate, identity", "identity"],
    ["br;q=abc", "identity"],
  ])("%j → %s", (header, expected) => {
    expect(negotiateEncoding(header)).toBe(expected);
  });
});
