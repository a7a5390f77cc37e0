/**
 * Why a webhook request got no HTTP answer, in words an admin can act on. It is shown under Recent
 * deliveries, where a bare `ENOTFOUND` left the reader to look up Node's error codes; the code stays
 * in parentheses for searching and for support.
 */
import { PRIVATE_ADDRESS } from "./private-networks";

const NETWORK_FAILURES: Record<string, string> = {
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed (temporary)",
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by the receiver",
  EPIPE: "connection closed by the receiver",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
  CERT_HAS_EXPIRED: "TLS certificate expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed TLS certificate",
  SELF_SIGNED_CERT_IN_CHAIN: "self-signed TLS certificate in the chain",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "TLS certificate not trusted",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "TLS certificate not trusted",
  ERR_TLS_CERT_ALTNAME_INVALID: "TLS certificate is for another host name",
};

/**
 * A failed send (post-webhook.ts) as a short line: a timeout, a known network failure with its code,
 * a refused private address as it was refused, or the error's own message.
 */
export function describeSendFailure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; message?: string } | null;
  if (e?.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  if (e?.code === PRIVATE_ADDRESS && e.message) return e.message;
  if (e?.code) return NETWORK_FAILURES[e.code] ? `${NETWORK_FAILURES[e.code]} (${e.code})` : e.code;
  return e?.message ?? String(err);
}
