import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { describeSendFailure } from "@/lib/notifications/describe-send-failure";
import { postWebhook } from "@/lib/notifications/post-webhook";

/** What the webhook sender really rejects with for `url` (and a timeout of `ms`). */
async function sendFailure(url: string, ms = 2_000, allowPrivateNetworks = true): Promise<unknown> {
  try {
    await postWebhook(url, "{}", {}, { timeoutMs: ms, allowPrivateNetworks });
  } catch (err) {
    return err;
  }
  throw new Error(`${url} answered`);
}

/** An error shaped as node's own (the code on the error), for failures a test machine cannot stage. */
const nodeError = (code: string) => Object.assign(new Error(`x ${code}`), { code });

describe("describeSendFailure", () => {
  it("names a refused connection in words, with the code, from a real send", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(describeSendFailure(await sendFailure(`http://127.0.0.1:${port}/hook`), 5_000)).toBe("connection refused (ECONNREFUSED)");
  });

  it("says how long it waited when the receiver never answered, from a real send", async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      expect(describeSendFailure(await sendFailure(`http://127.0.0.1:${port}/hook`, 100), 100)).toBe("no answer within 100 ms");
    } finally {
      silent.close();
    }
  });

  it("gives a refused private address as the sender refused it, from a real send", async () => {
    expect(describeSendFailure(await sendFailure("http://127.0.0.1:9/hook", 2_000, false), 5_000)).toMatch(
      /^refused: 127\.0\.0\.1 is a private or local address; the operator can allow them with ROLLGATE_WEBHOOK_PRIVATE_NETWORKS=allow$/,
    );
  });

  it("translates the name lookup and TLS failures node reports", () => {
    expect(describeSendFailure(nodeError("ENOTFOUND"), 5_000)).toBe("host name not found (ENOTFOUND)");
    expect(describeSendFailure(nodeError("CERT_HAS_EXPIRED"), 5_000)).toBe("TLS certificate expired (CERT_HAS_EXPIRED)");
    expect(describeSendFailure(nodeError("ERR_TLS_CERT_ALTNAME_INVALID"), 5_000)).toBe(
      "TLS certificate is for another host name (ERR_TLS_CERT_ALTNAME_INVALID)",
    );
  });

  it("keeps an unknown code or message as it is", async () => {
    expect(describeSendFailure(nodeError("EWHATEVER"), 5_000)).toBe("EWHATEVER");
    // What the sender throws for a URL it cannot parse (the forms refuse one before it is saved).
    expect(describeSendFailure(await sendFailure("not a url"), 5_000)).toBe("ERR_INVALID_URL");
    expect(describeSendFailure(new Error("boom"), 5_000)).toBe("boom");
    expect(describeSendFailure("odd", 5_000)).toBe("odd");
  });
});
