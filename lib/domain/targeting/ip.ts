/**
 * IPv4 and IPv6 addresses and ranges as Unleash's IN_CIDR operator reads them (the `ip-address`
 * package): dotted quads without leading zeros, IPv6 with `::`, a trailing dotted quad and a zone, an
 * optional `/prefix`. An address is in a range when the two are the same address or the address's
 * prefix is at least the range's and their first prefix bits agree; IPv4 only against IPv4 ranges,
 * IPv6 only against IPv6 ones.
 */
export interface IpAddress {
  readonly v6: boolean;
  /** 16-bit words: 2 for IPv4, 8 for IPv6. */
  readonly words: readonly number[];
  readonly prefix: number;
}

const OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const V4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);
const V4_SUBNET = /\/\d{1,2}$/;
const V6_SUBNET = /\/\d{1,3}(?=%|$)/;
const V6_BAD_CHARACTER = /[^0-9a-f:/%]/i;
const V6_BAD_ADDRESS = /[0-9a-f]{5,}|:{3,}|[^:]:$|^:[^:]|\/$/i;

function quadWords(quad: string): number[] | null {
  if (quad.split(".").some((g) => /^0\d/.test(g))) return null;
  const m = V4.exec(quad);
  if (!m) return null;
  return [(Number(m[1]) << 8) | Number(m[2]), (Number(m[3]) << 8) | Number(m[4])];
}

export function parseIpv4(text: string): IpAddress | null {
  let address = text;
  let prefix = 32;
  const subnet = V4_SUBNET.exec(address);
  if (subnet) {
    prefix = Number(subnet[0].slice(1));
    if (prefix > 32) return null;
    address = address.replace(V4_SUBNET, "");
  }
  if (address.length > 15) return null;
  const words = quadWords(address);
  return words && { v6: false, words, prefix };
}

/** The 8 groups of an IPv6 address without prefix or zone, or null. */
function v6Words(text: string): number[] | null {
  let address = text;
  if (address.includes(".")) {
    const groups = address.split(":");
    const quad = quadWords(groups[groups.length - 1]!);
    if (quad) {
      groups[groups.length - 1] = `${quad[0]!.toString(16)}:${quad[1]!.toString(16)}`;
      address = groups.join(":");
    }
  }
  if (V6_BAD_CHARACTER.test(address) || V6_BAD_ADDRESS.test(address)) return null;
  const halves = address.split("::");
  let groups: string[];
  if (halves.length === 2) {
    const first = halves[0] === "" ? [] : halves[0]!.split(":");
    const last = halves[1] === "" ? [] : halves[1]!.split(":");
    const elided = 8 - first.length - last.length;
    if (elided <= 0) return null;
    groups = [...first, ...Array<string>(elided).fill("0"), ...last];
  } else if (halves.length === 1) groups = address.split(":");
  else return null;
  if (groups.length !== 8 || groups.some((g) => g === "")) return null;
  return groups.map((g) => parseInt(g, 16));
}

export function parseIpv6(text: string): IpAddress | null {
  let address = text;
  let prefix = 128;
  const subnet = V6_SUBNET.exec(address);
  if (subnet) {
    prefix = Number(subnet[0].slice(1));
    if (prefix > 128) return null;
    address = address.replace(V6_SUBNET, "");
  }
  if (address.includes("/")) return null;
  const zone = address.indexOf("%");
  if (zone !== -1 && !/[\n\r\u2028\u2029]/.test(address.slice(zone))) address = address.slice(0, zone);
  if (address.length > 45) return null;
  const words = v6Words(address);
  return words && { v6: true, words, prefix };
}

/** IPv4 when it reads as IPv4 (as Unleash tries it first), else IPv6, else null. */
export const parseIp = (text: string): IpAddress | null => parseIpv4(text) ?? parseIpv6(text);

function sameAddress(a: IpAddress, b: IpAddress): boolean {
  for (let i = 0; i < a.words.length; i++) if (a.words[i] !== b.words[i]) return false;
  return true;
}

function samePrefix(a: IpAddress, b: IpAddress, bits: number): boolean {
  for (let i = 0; bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((a.words[i]! & mask) !== (b.words[i]! & mask)) return false;
  }
  return true;
}

export function inRange(address: IpAddress, range: IpAddress): boolean {
  if (address.v6 !== range.v6) return false;
  if (sameAddress(address, range)) return true;
  return address.prefix >= range.prefix && samePrefix(address, range, range.prefix);
}
