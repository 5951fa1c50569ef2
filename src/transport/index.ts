export { Http2ConnectionPool, type Http2PoolOptions } from "./http2-connection-pool.js";
export {
  createHttp2GrpcTransport,
  type Http2GrpcTransport,
  type Http2GrpcTransportOptions,
} from "./http2-grpc-transport.js";
