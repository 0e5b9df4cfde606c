// Resolving a webhook target and judging every address it resolves to (webhook-policy.ts), once
// when the subscription is made and again on every send. On a send the check happens inside the
// socket's own lookup, and the socket connects to exactly the addresses that were checked: a
// name that resolved to a public address at subscription time and to 127.0.0.1 since (DNS
// rebinding) is refused before any connection is made.
import type { LookupAddress, LookupOptions } from "node:dns";
import { lookup as systemLookup, Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { EventscopeError } from "@eventscope/contracts";
import {
  addressBytes,
  isLocalhostName,
  judgeAddress,
  portOf,
  type AddressClass,
  type AllowList,
} from "./webhook-policy.ts";

/** A target the policy refuses; `class` is the address class that made it so. */
export class TargetRefused extends EventscopeError {
  readonly class: AddressClass | "unresolvable";
  constructor(message: string, addressClass: AddressClass | "unresolvable", retriable = false) {
    super(message, { code: "TARGET_REFUSED", retriable });
    this.name = "TargetRefused";
    this.class = addressClass;
  }
}

export type Resolve = (host: string) => Promise<string[]>;

/** The system resolver, or the given DNS servers (`WEBHOOK_DNS_SERVERS`) when there are any. */
export function createResolve(servers: string[]): Resolve {
  if (servers.length === 0)
    return async (host) => (await systemLookup(host, { all: true, order: "verbatim" })).map((a) => a.address);
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers(servers);
  return async (host) => {
    const answers = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const addresses = answers.flatMap((a) => (a.status === "fulfilled" ? a.value : []));
    if (addresses.length > 0) return addresses;
    throw (answers[0] as PromiseRejectedResult).reason;
  };
}

export interface TargetPolicy {
  allow: AllowList;
  resolve: Resolve;
}

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, "");

/**
 * The addresses `host` stands for, each admitted by the policy for `port`; throws
 * TargetRefused naming the first one that is not (one refused address refuses the target:
 * a name that also points inside is not trusted with the others).
 */
export async function admittedAddresses(policy: TargetPolicy, host: string, port: number): Promise<string[]> {
  const name = bare(host);
  let addresses: string[];
  if (addressBytes(name)) addresses = [name];
  else if (isLocalhostName(name)) addresses = ["127.0.0.1", "::1"];
  else {
    try {
      addresses = await policy.resolve(name);
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).message;
      const lasting = code === "ENOTFOUND" || code === "ENODATA" || code === "ENONAME";
      throw new TargetRefused(`${name} does not resolve (${code})`, "unresolvable", !lasting);
    }
  }
  for (const address of addresses) {
    const verdict = judgeAddress(policy.allow, name, port, address);
    if (!verdict.admitted)
      throw new TargetRefused(
        `${verdict.reason}${address === name ? "" : ` (${name} resolves to it)`}; not in WEBHOOK_ALLOWED_TARGETS`,
        verdict.class,
      );
  }
  return addresses;
}

export const checkTarget = (policy: TargetPolicy, url: URL) =>
  admittedAddresses(policy, url.hostname, portOf(url));

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http.request / net.connect that resolves, judges and hands the socket only
 * checked addresses. (An address literal never reaches a lookup: check it with checkTarget.)
 */
export function pinnedLookup(policy: TargetPolicy, port: number) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    admittedAddresses(policy, hostname, port).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
        const found = addresses
          .map((address) => ({ address, family: isIP(address) }))
          .filter((a) => wanted === 0 || a.family === wanted);
        if (found.length === 0) {
          const error: NodeJS.ErrnoException = new Error(`${hostname} has no IPv${wanted} address`);
          error.code = "ENOTFOUND";
          return callback(error, []);
        }
        if (options.all) callback(null, found);
        else callback(null, found[0]!.address, found[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, []),
    );
  };
}
