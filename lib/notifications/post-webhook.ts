import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { isPrivateAddress, privateAddressError, publicOnlyLookup } from "./private-networks";

export interface PostOptions {
  /** Connecting, sending and the answer's headers together (the worker's per-request timeout). */
  timeoutMs: number;
  /** Send to loopback, private and link-local addresses too (ROLLGATE_WEBHOOK_PRIVATE_NETWORKS=allow). */
  allowPrivateNetworks: boolean;
}

/**
 * One webhook POST with node:http(s) rather than fetch, for its `lookup` option: the address checked
 * is the address connected to. Redirects are not followed (a 3xx is a failed attempt); the answer's
 * body is not read. Rejects with node's own errors (the code on the error), a `TimeoutError`, or a
 * refused private address (private-networks.ts): describe-send-failure.ts puts them in words.
 */
export function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: PostOptions,
): Promise<{ status: number; statusText: string }> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  if (!options.allowPrivateNetworks && isIP(host) && isPrivateAddress(host)) return Promise.reject(privateAddressError(host, host));
  return new Promise((resolve, reject) => {
    const req = (target.protocol === "https:" ? https : http).request(
      target,
      {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        ...(options.allowPrivateNetworks ? {} : { lookup: publicOnlyLookup }),
      },
      (res) => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? "" });
        // The body is not used: closed now, so a receiver that trickles one or never ends it holds no socket.
        res.destroy();
      },
    );
    const timer = setTimeout(
      () => req.destroy(Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { name: "TimeoutError" })),
      options.timeoutMs,
    );
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}
