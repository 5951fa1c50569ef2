import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/**
 * Turns a host name into the addresses of its endpoints (IPv4 or IPv6 text). The clients call it
 * for each host name of their `baseUrl`, on an interval and after connection failures; a test or
 * a service registry can give its own.
 */
export type Resolver = (hostname: string) => Promise<readonly string[]>;

/** The system's resolver (getaddrinfo, as `http.request` uses): every address, in its order. */
export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true })).map((address) => address.address);

/** Whether `hostname` is an address already, which needs no resolving. */
export function isAddress(hostname: string): boolean {
  return isIP(hostname) !== 0;
}
