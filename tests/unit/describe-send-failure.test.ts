import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { describeSendFailure } from "@/lib/notifications/describe-send-failure";

/** What `fetch` really rejects with for `url` (and a timeout of `ms`). */
async function fetchFailure(url: string, ms = 2_000): Promise<unknown> {
  try {
    await fetch(url, { method: "POST", signal: AbortSignal.timeout(ms) });
  } catch (err) {
    return err;
  }
  throw new Error(`${url} answered`);
}

describe("describeSendFailure", () => {
  it("names a refused connection in words, with the code, from a real fetch", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(describeSendFailure(await fetchFailure(`http://127.0.0.1:${port}/hook`), 5_000)).toBe("connection refused (ECONNREFUSED)");
  });

  it("says how long it waited when the receiver never answered, from a real fetch", async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      expect(describeSendFailure(await fetchFailure(`http://127.0.0.1:${port}/hook`, 100), 100)).toBe("no answer within 100 ms");
    } finally {
      silent.close();
    }
  });

  it("translates the name lookup and TLS failures fetch reports in its cause", () => {
    const failed = (code: string) =>
      Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error(`x ${code}`), { code }) });
    expect(describeSendFailure(failed("ENOTFOUND"), 5_000)).toBe("host name not found (ENOTFOUND)");
    expect(describeSendFailure(failed("CERT_HAS_EXPIRED"), 5_000)).toBe("TLS certificate expired (CERT_HAS_EXPIRED)");
    expect(describeSendFailure(failed("ERR_TLS_CERT_ALTNAME_INVALID"), 5_000)).toBe(
      "TLS certificate is for another host name (ERR_TLS_CERT_ALTNAME_INVALID)",
    );
  });

  it("keeps an unknown code or message as it is", () => {
    expect(describeSendFailure(Object.assign(new TypeError("fetch failed"), { cause: { code: "EWHATEVER" } }), 5_000)).toBe("EWHATEVER");
    expect(describeSendFailure(Object.assign(new TypeError("fetch failed"), { cause: new Error("invalid URL") }), 5_000)).toBe(
      "invalid URL",
    );
    expect(describeSendFailure(new Error("boom"), 5_000)).toBe("boom");
    expect(describeSendFailure("odd", 5_000)).toBe("odd");
  });
});
