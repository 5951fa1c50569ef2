/**
 * @contextiq/clients/transport: the transports under the clients, for building a Connect client of
 * your own (`createClient(SessionsService, transport)`) with the same wire behaviour: the gRPC and
 * Connect JSON transports on a pool of HTTP/2 connections, the HTTP/1.1 Connect JSON transport on
 * a keep-alive agent that retires sockets before the server does, and the retry interceptor.
 *
 * @packageDocumentation
 */

export { RetryBudget, type RetryBudgetOptions } from "../policy/retry-budget.js";
export type { GiveUpEvent, RetryEvent, RetryOptions } from "../policy/retry-interceptor.js";
export { createRetryInterceptor } from "../policy/retry-interceptor.js";
export {
  createHttp1JsonTransport,
  type Http1JsonTransport,
  type Http1JsonTransportOptions,
} from "./http1-json-transport.js";
export {
  Http2ConnectionPool,
  type Http2PoolOptions,
  type PooledConnection,
} from "./http2-connection-pool.js";
export {
  createHttp2GrpcTransport,
  type Http2GrpcTransport,
  type Http2GrpcTransportOptions,
} from "./http2-grpc-transport.js";
export {
  createHttp2JsonTransport,
  type Http2JsonTransport,
  type Http2JsonTransportOptions,
} from "./http2-json-transport.js";
export type { Http2TransportOptions } from "./http2-transport.js";
export {
  createKeepAliveAgent,
  type KeepAliveAgent,
  type KeepAliveAgentOptions,
} from "./keep-alive-agent.js";
export type { ClosableTransport, TransportOptions } from "./transport-options.js";
