import type { Interceptor } from "@connectrpc/connect";
import { Balancer } from "../balancer/balancer.js";
import type { EndpointAddress, EndpointConnection } from "../balancer/endpoint.js";
import { parseServiceUrls } from "../balancer/service-urls.js";
import { writeConnectDeadline, writeGrpcDeadline } from "../policy/deadline-header.js";
import { createHttp2JsonStreamSender } from "../transport/connect-stream-protocol.js";
import type { EndpointTarget } from "../transport/endpoint-target.js";
import { createGrpcStreamSender } from "../transport/grpc-stream-protocol.js";
import { createHttp1JsonSender } from "../transport/http1-json-transport.js";
import { createHttp1JsonStreamSender } from "../transport/http1-stream-exchange.js";
import { createGrpcSender } from "../transport/http2-grpc-transport.js";
import { createHttp2JsonSender } from "../transport/http2-json-transport.js";
import { createStreamCall } from "../transport/stream-call.js";
import { createUnaryCall } from "../transport/unary-call.js";
import { leaseHttp1Agent, leaseHttp2Connections } from "./connection-pool.js";
import type { LeasedTransport } from "./create-transport.js";
import type { ResolvedOptions } from "./resolve-options.js";

/**
 * How fast an endpoint's latency estimate forgets a slow answer. Finagle and Linkerd use 10 s. On
 * a busy host, though, a client's own pauses (GC, a starved event loop) make whichever calls were
 * in flight look slow, and 10 s of remembering such peaks skewed a healthy fleet's shares by a
 * third; 1 s forgets them while a replica that is slow on every call stays visible, since each
 * call it gets shows it again (test/fleet/balancing.test.ts).
 */
const latencyDecayMs = 1_000;

/** What a balanced transport needs besides the resolved options. */
export interface BalancedTransportOptions {
  /** The service's full name, for health checks. */
  readonly serviceName: string;
  readonly interceptors: Interceptor[];
  readonly readMaxBytes: number;
  readonly writeMaxBytes: number;
}

/**
 * The client's transport: the interceptors, then a {@link Balancer} that gives each attempt an
 * endpoint, then that endpoint's own connections (a pool of HTTP/2 connections for gRPC and JSON
 * over HTTP/2, keep-alive sockets for JSON over HTTP/1.1), shared with the other clients of this
 * process that reach the same address.
 */
export function createBalancedTransport(
  resolved: ResolvedOptions,
  options: BalancedTransportOptions,
): LeasedTransport {
  const targets = parseServiceUrls(resolved.baseUrl);
  const first = targets[0] as (typeof targets)[number];
  const grpc = resolved.transport === "grpc";
  const http1 = resolved.httpVersion === "1.1" && !grpc;
  const writeDeadline = grpc ? writeGrpcDeadline : writeConnectDeadline;

  const connect = (where: EndpointAddress): EndpointConnection => {
    const target: EndpointTarget = {
      scheme: where.target.scheme,
      authority: where.target.authority,
      pathPrefix: where.target.pathPrefix,
      readMaxBytes: options.readMaxBytes,
      writeMaxBytes: options.writeMaxBytes,
      compressMinBytes: resolved.compressMinBytes === false ? undefined : resolved.compressMinBytes,
    };
    // Connected by address, a TLS endpoint is still verified against (and asked for, by SNI) the
    // name in the URL.
    const named = where.address !== where.target.hostname && where.target.scheme === "https";
    const tls = named ? { ...resolved.tls, servername: where.target.hostname } : resolved.tls;
    if (http1) {
      const agent = leaseHttp1Agent(where.origin, tls);
      const http1Target = { ...target, hostname: where.address, port: where.target.port };
      return {
        send: createHttp1JsonSender(agent.connection, http1Target),
        stream: createHttp1JsonStreamSender(agent.connection, http1Target),
        release: agent.release,
      };
    }
    const pool = leaseHttp2Connections(where.origin, tls);
    return {
      send: (grpc ? createGrpcSender : createHttp2JsonSender)(pool.connection, target),
      stream: (grpc ? createGrpcStreamSender : createHttp2JsonStreamSender)(
        pool.connection,
        target,
      ),
      release: pool.release,
    };
  };

  const balancer = new Balancer({
    targets,
    resolver: resolved.resolver,
    resolveIntervalMs: resolved.resolveIntervalMs,
    connect,
    latencyDecayMs,
    loadBalancing: resolved.loadBalancing,
    outlierDetection: resolved.outlierDetection,
    healthCheck: resolved.healthCheck && {
      ...resolved.healthCheck,
      serviceName: options.serviceName,
      writeDeadline,
      writeCredentials: (header) => {
        if (resolved.apiKey !== undefined) header.set("x-api-key", resolved.apiKey);
        if (resolved.bearerToken !== undefined) {
          header.set("authorization", `Bearer ${resolved.bearerToken}`);
        }
      },
    },
  });
  const baseUrl = `${first.scheme}://${first.authority}${first.pathPrefix}`;
  const unary = createUnaryCall({
    baseUrl,
    interceptors: options.interceptors,
    defaultTimeoutMs: resolved.timeoutMs,
    writeDeadline,
    send: balancer.send,
  });
  // Streams get no default deadline: a watch lasts as long as its caller wants.
  const stream = createStreamCall({
    baseUrl,
    interceptors: options.interceptors,
    defaultTimeoutMs: undefined,
    writeDeadline,
    send: balancer.stream,
  });
  return {
    transport: { unary, stream },
    balancer,
    release: () => balancer.close(),
  };
}
