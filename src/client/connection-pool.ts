import { createHash } from "node:crypto";
import { Http2ConnectionPool } from "../transport/http2-connection-pool.js";
import { createKeepAliveAgent, type KeepAliveAgent } from "../transport/keep-alive-agent.js";
import type { ClientTlsOptions } from "./client-options.js";

/** Keepalive pings on busy HTTP/2 connections, and when to let an unused one go. */
const http2Options = {
  pingIntervalMs: 30_000,
  pingTimeoutMs: 15_000,
  idleTimeoutMs: 5 * 60_000,
};

/** Keep-alive sockets per origin for HTTP/1.1, at most this many at once. */
const maxSocketsPerOrigin = 64;

interface Pooled<T> {
  readonly connection: T;
  users: number;
  release(): void;
}

const http1Agents = new Map<string, Pooled<KeepAliveAgent>>();
const http2Pools = new Map<string, Pooled<Http2ConnectionPool>>();

/**
 * A client's TLS settings for one endpoint: connected by address, it is still verified against
 * the host name of the URL (`servername`, also sent by SNI).
 */
export type EndpointTls = ClientTlsOptions & { readonly servername?: string };

/** A pooled connection and the way to give it back. */
export interface Lease<T> {
  readonly connection: T;
  /** Gives the connection back; the last user's release closes it. Idempotent. */
  release(): void;
}

/**
 * The HTTP/2 connections of `origin`, shared by every client of that origin (and TLS settings),
 * gRPC and Connect JSON alike: more than one when calls outgrow one connection, with keepalive
 * pings and an idle close.
 */
export function leaseHttp2Connections(
  origin: string,
  tls?: EndpointTls,
): Lease<Http2ConnectionPool> {
  return lease(
    http2Pools,
    poolKey(origin, tls),
    () => new Http2ConnectionPool(origin, { ...http2Options, connect: tls && { ...tls } }),
    (p) => p.destroy(),
  );
}

/**
 * The keep-alive HTTP/1.1 sockets of `origin`, shared by every client of that origin (and TLS
 * settings): at most 64 at once, each retired before the server's keep-alive timeout.
 */
export function leaseHttp1Agent(origin: string, tls?: EndpointTls): Lease<KeepAliveAgent> {
  return lease(
    http1Agents,
    poolKey(origin, tls),
    () => createKeepAliveAgent(origin, { maxSockets: maxSocketsPerOrigin, tls }),
    (a) => a.destroy(),
  );
}

/**
 * Clients share connections only when they would open the same ones: a client with another CA or
 * client certificate gets its own. The key holds a digest, never the key material itself.
 */
function poolKey(origin: string, tls: EndpointTls | undefined): string {
  if (tls === undefined) return origin;
  const hash = createHash("sha256");
  for (const part of [tls.ca, tls.cert, tls.key, tls.servername]) {
    hash.update(part === undefined ? "-" : `${part.length}:`).update(part ?? "");
  }
  return `${origin} ${hash.digest("base64url")}`;
}

function lease<T>(
  pool: Map<string, Pooled<T>>,
  key: string,
  create: () => T,
  close: (connection: T) => void,
): Lease<T> {
  let pooled = pool.get(key);
  if (!pooled) {
    const connection = create();
    const entry: Pooled<T> = {
      connection,
      users: 0,
      release() {
        if (--entry.users === 0) {
          pool.delete(key);
          close(connection);
        }
      },
    };
    pooled = entry;
    pool.set(key, entry);
  }
  pooled.users++;
  const shared = pooled;
  let released = false;
  return {
    connection: shared.connection,
    release() {
      if (released) return;
      released = true;
      shared.release();
    },
  };
}
