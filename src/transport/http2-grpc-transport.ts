import type { IncomingHttpHeaders } from "node:http2";
import { Code, ConnectError, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { writeGrpcDeadline } from "../policy/deadline-header.js";
import { gunzipWithin, gzipEncoding } from "./compression.js";
import type { EndpointTarget } from "./endpoint-target.js";
import { fromBinaryUnboxed } from "./from-binary-unboxed.js";
import {
  decodeUnaryGrpcBody,
  encodeGrpcFrame,
  isCompressedGrpcBody,
  prefixBytes,
} from "./grpc-frame.js";
import { errorFromGrpcStatus, errorFromHttpResponse } from "./grpc-status.js";
import { createGrpcStreamSender } from "./grpc-stream-protocol.js";
import type { Http2ConnectionPool } from "./http2-connection-pool.js";
import { lazyHeadersFromHttp2 } from "./http2-headers.js";
import { errorFromBrokenStream } from "./http2-stream-error.js";
import { createHttp2Transport, type Http2TransportOptions } from "./http2-transport.js";
import {
  type Http2Answer,
  type Http2UnaryProtocol,
  sendHttp2Unary,
} from "./http2-unary-exchange.js";
import { toBinaryBulk } from "./to-binary-bulk.js";
import type { ClosableTransport } from "./transport-options.js";

/** Options of {@link createHttp2GrpcTransport}; "http://" means h2c, "https://" TLS with ALPN h2. */
export type Http2GrpcTransportOptions = Http2TransportOptions;

/** A connect Transport for gRPC over node:http2, with a way to close its connections. */
export type Http2GrpcTransport = ClosableTransport;

const userAgent = "contextiq-clients/0.1 grpc-node-http2";

/**
 * gRPC over `node:http2`, written for unary calls at high rates: one write per request, the
 * response collected from the stream's events, no async iterables and no per-call timers beyond
 * the deadline's. It implements connect's `Transport`, so generated clients and interceptors work
 * on it unchanged. Streaming RPCs (server, client and bidirectional) run on the same pool, one
 * HTTP/2 stream each with flow control both ways and gzip (see http2-stream-exchange.ts).
 */
export function createHttp2GrpcTransport(options: Http2GrpcTransportOptions): Http2GrpcTransport {
  return createHttp2Transport(options, {
    writeDeadline: writeGrpcDeadline,
    createSender: createGrpcSender,
    createStreamSender: createGrpcStreamSender,
  });
}

/**
 * The attempts of one endpoint over gRPC: each on a stream of `pool`, whose origin may be an
 * address of the host `target.authority` names.
 */
export function createGrpcSender(
  pool: Http2ConnectionPool,
  target: EndpointTarget,
): (req: UnaryRequest) => Promise<UnaryResponse> {
  const protocol = grpcProtocol(target);
  return (req) => sendHttp2Unary(pool, target, protocol, req);
}

/** gRPC to `target`: gzip offered, and sent, as its `compressMinBytes` says. */
function grpcProtocol(target: EndpointTarget): Http2UnaryProtocol {
  const acceptsGzip = target.compressMinBytes !== undefined;
  return {
    framingBytes: prefixBytes,
    encodingHeaders: { encoding: "grpc-encoding", accept: "grpc-accept-encoding" },
    serialize: (req) => toBinaryBulk(req.method.input, req.message),
    frame: encodeGrpcFrame,
    writeHeaders(outgoing) {
      outgoing["content-type"] = "application/grpc+proto";
      outgoing.te = "trailers";
      outgoing["user-agent"] ??= userAgent;
    },
    refuse: (headers) => errorFromHttpResponse(headers, acceptsGzip),
    decode: (req, answer) => response(req, answer, target),
  };
}

/**
 * The response of a stream that closed, or the error it carried. A message with the compressed
 * flag (under `grpc-encoding: gzip`, which the headers were checked for) is gunzipped first,
 * within readMaxBytes.
 */
function response(
  req: UnaryRequest,
  answer: Http2Answer,
  target: EndpointTarget,
): UnaryResponse | Promise<UnaryResponse> {
  const headers = answer.headers;
  const trailers = answer.trailers;
  // A trailers-only response carries its status in the headers.
  const status = trailers ?? (headers?.["grpc-status"] !== undefined ? headers : undefined);
  if (headers === undefined || status === undefined) throw errorFromBrokenStream(answer);
  const error = errorFromGrpcStatus(status, headers);
  if (error) throw error;
  // Flagged, but no encoding named: a broken peer, which decodeUnaryGrpcBody reports.
  const gzipped = headers["grpc-encoding"] === gzipEncoding;
  const bytes = decodeUnaryGrpcBody(answer.chunks, answer.received, gzipped);
  if (!gzipped || !isCompressedGrpcBody(answer.chunks)) {
    return toResponse(req, bytes, headers, trailers);
  }
  return gunzipWithin(bytes, target.readMaxBytes, "response message").then((inflated) =>
    toResponse(req, inflated, headers, trailers),
  );
}

function toResponse(
  req: UnaryRequest,
  bytes: Uint8Array,
  headers: IncomingHttpHeaders,
  trailers: IncomingHttpHeaders | undefined,
): UnaryResponse {
  let message: unknown;
  try {
    message = fromBinaryUnboxed(req.method.output, bytes);
  } catch (e) {
    throw ConnectError.from(e, Code.Internal);
  }
  return {
    stream: false,
    service: req.service,
    method: req.method,
    header: lazyHeadersFromHttp2(headers),
    trailer: lazyHeadersFromHttp2(trailers),
    message,
  } as UnaryResponse;
}
