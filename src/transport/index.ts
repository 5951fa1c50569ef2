export {
  createHttp1JsonTransport,
  type Http1JsonTransport,
  type Http1JsonTransportOptions,
} from "./http1-json-transport.js";
export { Http2ConnectionPool, type Http2PoolOptions } from "./http2-connection-pool.js";
export {
  createHttp2GrpcTransport,
  type Http2GrpcTransport,
  type Http2GrpcTransportOptions,
} from "./http2-grpc-transport.js";
export {
  createKeepAliveAgent,
  type KeepAliveAgent,
  type KeepAliveAgentOptions,
} from "./keep-alive-agent.js";
