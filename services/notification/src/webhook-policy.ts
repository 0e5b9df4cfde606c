// Where a webhook may point. A subscriber chooses the URL, so without a policy the service would
// POST signed requests wherever it is told: to the cloud's metadata endpoint, to Prometheus's
// lifecycle API on loopback, to anything on the private network. Every address the target
// resolves to is classified here; a class other than `public` is refused unless an entry of the
// allow-list (`WEBHOOK_ALLOWED_TARGETS`: CIDRs, or host:port) admits it. Pure: resolving and
// connecting are in webhook-target.ts.
import { isIP } from "node:net";

export type AddressClass =
  | "public"
  | "loopback"
  | "private"
  | "link-local"
  | "multicast"
  | "unspecified"
  | "cgnat"
  | "metadata"
  | "reserved";

/** 4 bytes for IPv4, 16 for IPv6. */
type Bytes = number[];

function v4Bytes(address: string): Bytes | undefined {
  const parts = address.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

function v6Bytes(address: string): Bytes | undefined {
  let text = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  let tail: Bytes = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    const v4 = v4Bytes(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = v4;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const bytes = all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** The bytes of an IP address, or undefined when the text is not one. */
export function addressBytes(address: string): Bytes | undefined {
  const family = isIP(address.replace(/^\[|\]$/g, "").replace(/%.*$/, ""));
  if (family === 4) return v4Bytes(address);
  if (family === 6) return v6Bytes(address);
  return undefined;
}

interface Cidr {
  bytes: Bytes;
  bits: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const [address, bitsText, extra] = text.split("/");
  if (address === undefined || extra !== undefined) return undefined;
  const bytes = addressBytes(address);
  if (!bytes) return undefined;
  const bits = bitsText === undefined ? bytes.length * 8 : Number(bitsText);
  if (!/^\d+$/.test(bitsText ?? "0") || bits > bytes.length * 8) return undefined;
  return { bytes, bits };
}

function inCidr(bytes: Bytes, cidr: Cidr): boolean {
  if (bytes.length !== cidr.bytes.length) return false;
  for (let bit = 0; bit < cidr.bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((bytes[bit >> 3]! & mask) !== (cidr.bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}

const table = (entries: [string, AddressClass][]) => entries.map(([c, k]) => [parseCidr(c)!, k] as const);

// Most specific first: the metadata addresses sit inside link-local, CGNAT and ULA ranges.
const v4Classes = table([
  ["169.254.169.254/32", "metadata"], // AWS, GCP, Azure, OpenStack instance metadata
  ["169.254.170.2/32", "metadata"], // AWS ECS task metadata
  ["100.100.100.200/32", "metadata"], // Alibaba Cloud
  ["168.63.129.16/32", "metadata"], // Azure wire server
  ["0.0.0.0/8", "unspecified"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "cgnat"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["172.16.0.0/12", "private"],
  ["192.0.0.0/24", "reserved"],
  ["192.0.2.0/24", "reserved"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "reserved"],
  ["198.51.100.0/24", "reserved"],
  ["203.0.113.0/24", "reserved"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved"],
]);
const v6Classes = table([
  ["fd00:ec2::254/128", "metadata"], // AWS instance metadata over IPv6
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["100::/64", "reserved"],
  ["2001:db8::/32", "reserved"],
  ["fc00::/7", "private"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "private"],
  ["ff00::/8", "multicast"],
]);
// IPv6 spellings that carry an IPv4 address and reach it: mapped (::ffff:a.b.c.d), the old
// compatible form (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::).
const embedded: [Cidr, (b: Bytes) => Bytes][] = [
  [parseCidr("::ffff:0:0/96")!, (b) => b.slice(12)],
  [parseCidr("::/96")!, (b) => b.slice(12)],
  [parseCidr("64:ff9b::/96")!, (b) => b.slice(12)],
  [parseCidr("2002::/16")!, (b) => b.slice(2, 6)],
];

/** The IPv4 address an IPv6 address stands for, when it is one of the embedding forms. */
export function embeddedV4(bytes: Bytes): Bytes | undefined {
  if (bytes.length !== 16 || inCidr(bytes, parseCidr("::/127")!)) return undefined;
  for (const [cidr, extract] of embedded) if (inCidr(bytes, cidr)) return extract(bytes);
  return undefined;
}

export function classifyAddress(address: string): AddressClass {
  const bytes = addressBytes(address);
  if (!bytes) return "reserved";
  const v4 = bytes.length === 4 ? bytes : embeddedV4(bytes);
  const [target, classes] = v4 ? [v4, v4Classes] : [bytes, v6Classes];
  return classes.find(([cidr]) => inCidr(target, cidr))?.[1] ?? "public";
}

/** Names that always mean this machine (RFC 6761), refused before any resolution. */
export const isLocalhostName = (host: string) => /(^|\.)localhost\.?$/i.test(host);

export interface AllowList {
  cidrs: Cidr[];
  /** `host:port`, lower-cased; the host is a name or an address. */
  hostPorts: Set<string>;
  entries: string[];
}

export const emptyAllowList: AllowList = { cidrs: [], hostPorts: new Set(), entries: [] };

/** `WEBHOOK_ALLOWED_TARGETS`: comma-separated CIDRs (`127.0.0.0/8`, `::1/128`) or `host:port`. */
export function parseAllowList(raw: string): AllowList {
  const entries = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const list: AllowList = { cidrs: [], hostPorts: new Set(), entries };
  for (const entry of entries) {
    const cidr = entry.includes("/") || addressBytes(entry) ? parseCidr(entry) : undefined;
    const hostPort = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):(\d{1,5})$/i.exec(entry);
    if (cidr) list.cidrs.push(cidr);
    else if (hostPort && Number(hostPort[2]) <= 65535)
      list.hostPorts.add(hostKey(hostPort[1]!, hostPort[2]!));
    else throw new Error(`"${entry}" is neither a CIDR nor host:port`);
  }
  return list;
}

const hostKey = (host: string, port: string | number) => {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  const bytes = addressBytes(bare);
  // Addresses compare in one spelling, so `[::1]:80` and `[0:0::1]:80` are the same entry.
  const canonical = bytes?.length === 16 ? bytes.join(".") : bare;
  return `${canonical}:${port}`;
};

export interface TargetVerdict {
  admitted: boolean;
  class: AddressClass;
  /** Why it is refused, naming the address and its class. */
  reason?: string;
}

/**
 * Whether a connection to `address` for a URL naming `host`:`port` is allowed: public
 * addresses always; others only when the allow-list names the address's range, the
 * address and port, or the host name and port.
 */
export function judgeAddress(list: AllowList, host: string, port: number, address: string): TargetVerdict {
  const addressClass = classifyAddress(address);
  if (addressClass === "public") return { admitted: true, class: addressClass };
  const bytes = addressBytes(address)!;
  const admitted =
    list.hostPorts.has(hostKey(host, port)) ||
    list.hostPorts.has(hostKey(address, port)) ||
    list.cidrs.some((c) => inCidr(bytes, c) || (bytes.length === 16 && inCidrV4(bytes, c)));
  return admitted
    ? { admitted, class: addressClass }
    : { admitted, class: addressClass, reason: `${address} is a ${addressClass} address` };
}

// An allow-listed IPv4 range also admits the IPv6 spellings of its addresses (::ffff:127.0.0.1).
const inCidrV4 = (bytes: Bytes, cidr: Cidr) => {
  const v4 = embeddedV4(bytes);
  return v4 !== undefined && inCidr(v4, cidr);
};

/** The port a URL connects to. */
export const portOf = (url: URL) => Number(url.port || (url.protocol === "https:" ? 443 : 80));
