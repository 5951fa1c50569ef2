import type {
  StreamRequest,
  StreamResponse,
  UnaryRequest,
  UnaryResponse,
} from "@connectrpc/connect";
import { type EndpointTarget, parseBaseUrl } from "./endpoint-target.js";
import { Http2ConnectionPool, type Http2PoolOptions } from "./http2-connection-pool.js";
import { createStreamCall } from "./stream-call.js";
import type { ClosableTransport, TransportOptions } from "./transport-options.js";
import { createUnaryCall } from "./unary-call.js";

/** What both HTTP/2 transports take; "http://" means h2c, "https://" TLS with ALPN h2. */
export interface Http2TransportOptions extends TransportOptions {
  /** Connections to share with other transports; the transport then leaves them open on close. */
  readonly pool?: Http2ConnectionPool | undefined;
  /** How the transport's own pool connects and keeps connections, when `pool` is not given. */
  readonly poolOptions?: Http2PoolOptions | undefined;
}

/** What sets one HTTP/2 transport apart from the other: its protocol's deadline and senders. */
export interface Http2Protocol {
  readonly writeDeadline: (header: Headers, timeoutMs: number) => void;
  readonly createSender: (
    pool: Http2ConnectionPool,
    target: EndpointTarget,
  ) => (req: UnaryRequest) => Promise<UnaryResponse>;
  /** The streaming calls' sender, on the same pool and endpoint as the unary one. */
  readonly createStreamSender: (
    pool: Http2ConnectionPool,
    target: EndpointTarget,
  ) => (req: StreamRequest) => Promise<StreamResponse>;
}

/** A transport of `protocol` on `options.pool`, or on a pool of its own that close() closes. */
export function createHttp2Transport(
  options: Http2TransportOptions,
  protocol: Http2Protocol,
): ClosableTransport {
  const { url, baseUrl, target } = parseBaseUrl(options);
  const pool = options.pool ?? new Http2ConnectionPool(url.origin, options.poolOptions);
  const call = {
    baseUrl,
    interceptors: options.interceptors,
    defaultTimeoutMs: options.defaultTimeoutMs,
    writeDeadline: protocol.writeDeadline,
  };
  return {
    unary: createUnaryCall({ ...call, send: protocol.createSender(pool, target) }),
    stream: createStreamCall({ ...call, send: protocol.createStreamSender(pool, target) }),
    close() {
      return options.pool ? Promise.resolve() : pool.close();
    },
  };
}
