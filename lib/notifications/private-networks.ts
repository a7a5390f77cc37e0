import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { BlockList, isIP } from "node:net";

/**
 * Addresses a webhook may not reach unless the operator allows it (ROLLGATE_WEBHOOK_PRIVATE_NETWORKS):
 * loopback, private, link-local (cloud metadata at 169.254.169.254), shared, reserved and multicast
 * ranges. A webhook URL is typed by an admin; without this, one stolen admin session could make the
 * server POST into its own network and read the answer's status and timing under Recent deliveries.
 */
const BLOCKED = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  BLOCKED.addSubnet(network, prefix, "ipv4");
for (const [network, prefix] of [
  // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
  ["::", 96],
  // NAT64 for local use (RFC 8215); the well-known 64:ff9b::/96 is checked by its IPv4 below
  ["64:ff9b:1::", 48],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  BLOCKED.addSubnet(network, prefix, "ipv6");

/** An IPv4 address written inside IPv6 (`::ffff:127.0.0.1`, NAT64's `64:ff9b::7f00:1`), else null. */
function embeddedIpv4(address: string): string | null {
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1]!;
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const [high, low] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

/** Whether `address` (an IP literal) is in a range a webhook may not reach by default. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "");
  const family = isIP(bare);
  if (family === 4) return BLOCKED.check(bare, "ipv4");
  if (family !== 6) return false;
  const v4 = embeddedIpv4(bare);
  return v4 ? BLOCKED.check(v4, "ipv4") : BLOCKED.check(bare, "ipv6");
}

export const PRIVATE_ADDRESS = "ERR_PRIVATE_ADDRESS";

/**
 * The refusal a send reports, shown under Recent deliveries as it is. A name's address is left out:
 * the list would otherwise answer an admin's questions about the internal DNS.
 */
export function privateAddressError(host: string, address: string): Error {
  const what = host === address ? `${address} is` : `${host} resolves to`;
  return Object.assign(
    new Error(`refused: ${what} a private or local address; the operator can allow them with ROLLGATE_WEBHOOK_PRIVATE_NETWORKS=allow`),
    { code: PRIVATE_ADDRESS },
  );
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * `dns.lookup` for `http.request`'s `lookup` option that refuses a host when any of its addresses is
 * private: the check and the connection use the same answer, so a name that resolves to a public
 * address when checked and to a private one when connecting (DNS rebinding) gains nothing.
 */
export function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const blocked = addresses.find((a) => isPrivateAddress(a.address));
    if (blocked) return callback(privateAddressError(hostname, blocked.address), []);
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), []);
    callback(null, first.address, first.family);
  });
}
