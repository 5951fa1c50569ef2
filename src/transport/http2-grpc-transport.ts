import { constants, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http2";
import { Code, ConnectError, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { grpcTimeoutValue } from "../policy/deadline-header.js";
import { unreadCallSignal } from "./call-signal.js";
import { fromBinaryUnboxed } from "./from-binary-unboxed.js";
import { decodeUnaryGrpcBody, encodeGrpcFrame, prefixBytes } from "./grpc-frame.js";
import {
  type BrokenStream,
  errorFromBrokenStream,
  errorFromGrpcStatus,
  errorFromHttpResponse,
} from "./grpc-status.js";
import {
  Http2ConnectionPool,
  type Http2PoolOptions,
  type PooledConnection,
} from "./http2-connection-pool.js";
import { lazyHeadersFromHttp2 } from "./http2-headers.js";
import { toBinaryBulk } from "./to-binary-bulk.js";
import {
  type ClosableTransport,
  defaultMaxBytes,
  type TransportOptions,
} from "./transport-options.js";
import { createUnaryCall } from "./unary-call.js";

/** Options of {@link createHttp2GrpcTransport}; "http://" means h2c, "https://" TLS with ALPN h2. */
export interface Http2GrpcTransportOptions extends TransportOptions {
  /** Connections to share with other transports; the transport then leaves them open on close. */
  readonly pool?: Http2ConnectionPool | undefined;
  /** How the transport's own pool connects and keeps connections, when `pool` is not given. */
  readonly poolOptions?: Http2PoolOptions | undefined;
}

/** A connect Transport for gRPC over node:http2, with a way to close its connections. */
export type Http2GrpcTransport = ClosableTransport;

const userAgent = "contextiq-clients/0.1 grpc-node-http2";
/** How many times a call refused unprocessed is sent again before its refusal is its answer. */
const maxResends = 3;

/**
 * gRPC over `node:http2`, written for unary calls at high rates: one write per request, the
 * response collected from the stream's events, no async iterables and no per-call timers beyond
 * the deadline's. It implements connect's `Transport`, so generated clients and interceptors work
 * on it unchanged. Streaming RPCs are not supported (the ContextIQ contracts have none).
 */
export function createHttp2GrpcTransport(options: Http2GrpcTransportOptions): Http2GrpcTransport {
  const url = new URL(options.baseUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`baseUrl must be an http:// or https:// URL, got ${options.baseUrl}`);
  }
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const target = {
    scheme: url.protocol.slice(0, -1),
    authority: url.host,
    pathPrefix: url.pathname.replace(/\/+$/, ""),
    readMaxBytes: options.readMaxBytes ?? defaultMaxBytes,
    writeMaxBytes: options.writeMaxBytes ?? defaultMaxBytes,
  };
  const pool = options.pool ?? new Http2ConnectionPool(url.origin, options.poolOptions);
  const unary = createUnaryCall({
    baseUrl,
    interceptors: options.interceptors,
    defaultTimeoutMs: options.defaultTimeoutMs,
    writeDeadline: (header, deadlineMs) => header.set("grpc-timeout", grpcTimeoutValue(deadlineMs)),
    send: (req) => sendUnary(pool, target, req),
  });

  return {
    unary,
    stream() {
      return Promise.reject(
        new ConnectError("the HTTP/2 gRPC transport supports unary calls only", Code.Unimplemented),
      );
    },
    close() {
      return options.pool ? Promise.resolve() : pool.close();
    },
  };
}

interface Target {
  readonly scheme: string;
  readonly authority: string;
  readonly pathPrefix: string;
  readonly readMaxBytes: number;
  readonly writeMaxBytes: number;
}

/** One attempt: the request on a stream of a pooled connection, the response from its events. */
function sendUnary(
  pool: Http2ConnectionPool,
  target: Target,
  req: UnaryRequest,
): Promise<UnaryResponse> {
  return new Promise((resolve, reject) => {
    // The call's own cancellation, without an AbortSignal, unless something made or replaced one.
    const call = unreadCallSignal(req);
    const signal = call === undefined ? req.signal : undefined;
    if (call ? call.aborted : signal?.aborted) {
      reject(ConnectError.from(call ? call.reason : signal?.reason, Code.Canceled));
      return;
    }
    const message = toBinaryBulk(req.method.input, req.message);
    if (message.byteLength > target.writeMaxBytes) {
      reject(
        new ConnectError(
          `request message of ${message.byteLength} bytes is larger than writeMaxBytes (${target.writeMaxBytes})`,
          Code.ResourceExhausted,
        ),
      );
      return;
    }
    const outgoing: OutgoingHttpHeaders = {};
    req.header.forEach((value, name) => {
      outgoing[name] = value;
    });
    outgoing[":method"] = "POST";
    outgoing[":scheme"] = target.scheme;
    outgoing[":authority"] = target.authority;
    outgoing[":path"] = `${target.pathPrefix}/${req.service.typeName}/${req.method.name}`;
    outgoing["content-type"] = "application/grpc+proto";
    outgoing.te = "trailers";
    outgoing["user-agent"] ??= userAgent;

    const acquire = (): PooledConnection | undefined => {
      try {
        return pool.acquire();
      } catch (error) {
        // A closed pool: using a closed transport is the caller's mistake, not worth a retry.
        reject(
          new ConnectError(
            (error as Error).message,
            Code.FailedPrecondition,
            undefined,
            undefined,
            error,
          ),
        );
        return undefined;
      }
    };
    const start = (connection: PooledConnection | undefined) => {
      if (connection === undefined) return;
      if (connection.settings === undefined) {
        send(connection);
        return;
      }
      // A new connection, whose server has not said yet how many streams it allows: wait for
      // its SETTINGS (about one round trip, once per connection; a server sends them first), then
      // take a connection again, now that the pool knows whether this one is full.
      const stop = onceAborted(() => {
        pool.release(connection);
        reject(ConnectError.from(call ? call.reason : signal?.reason, Code.Canceled));
      });
      connection.settings.then((known) => {
        if (!stop()) return;
        if (!known) {
          // Failed or silent: the stream reports why, as on any broken connection.
          send(connection);
          return;
        }
        pool.release(connection);
        start(acquire());
      });
    };
    /** Calls `aborted` if the call is cancelled; the returned stop() says whether it was not. */
    const onceAborted = (aborted: () => void): (() => boolean) => {
      if (call) call.addListener(aborted);
      else signal?.addEventListener("abort", aborted, { once: true });
      return () => {
        if (call) call.removeListener(aborted);
        else signal?.removeEventListener("abort", aborted);
        return !(call ? call.aborted : signal?.aborted);
      };
    };
    /** Streams refused unprocessed and sent again so far, see the stream's close. */
    let resends = 0;
    start(acquire());

    function send(connection: PooledConnection): void {
      let stream: ReturnType<typeof connection.session.request>;
      try {
        stream = connection.session.request(outgoing);
      } catch (error) {
        // The session went away between the pool's check and this request.
        pool.release(connection);
        reject(
          errorFromBrokenStream({
            rstCode: constants.NGHTTP2_NO_ERROR,
            streamError: error as Error,
            connectionError: connection.failure,
            connectionLost: true,
          }),
        );
        return;
      }

      const frame = encodeGrpcFrame(message);
      let settled = false;
      let headers: IncomingHttpHeaders | undefined;
      let trailers: IncomingHttpHeaders | undefined;
      let streamError: Error | undefined;
      const chunks: Buffer[] = [];
      let received = 0;
      const onAbort = (reason: unknown) => fail(ConnectError.from(reason, Code.Canceled));
      const onSignalAbort = () => onAbort(signal?.reason);
      const stopListening = () => {
        if (call) call.removeListener(onAbort);
        else signal?.removeEventListener("abort", onSignalAbort);
      };
      const fail = (error: ConnectError) => {
        if (settled) return;
        settled = true;
        stopListening();
        if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
        reject(error);
      };
      if (call) call.addListener(onAbort);
      else signal?.addEventListener("abort", onSignalAbort);

      stream.on("response", (h) => {
        headers = h;
        const error = errorFromHttpResponse(h);
        if (error) fail(error);
      });
      stream.on("data", (chunk: Buffer) => {
        received += chunk.byteLength;
        if (received > target.readMaxBytes + prefixBytes) {
          fail(
            new ConnectError(
              `response message larger than readMaxBytes (${target.readMaxBytes})`,
              Code.ResourceExhausted,
            ),
          );
          return;
        }
        chunks.push(chunk);
      });
      stream.on("trailers", (t) => {
        trailers = t;
      });
      stream.on("error", (error) => {
        streamError = error;
      });
      // The server answered before it read the whole request (a status such as
      // RESOURCE_EXHAUSTED past its read limit): the answer is complete, and the rest of the body
      // would wait for flow-control window that never comes. Stop sending (RFC 9113 §8.1).
      stream.on("end", () => {
        if (!stream.writableFinished && !stream.closed) stream.close(constants.NGHTTP2_CANCEL);
      });
      stream.on("close", () => {
        if (!stream.writableFinished) pool.noteUnsent(connection, frame.byteLength);
        pool.release(connection);
        if (settled) return;
        settled = true;
        stopListening();
        // Refused before the server processed it: a stream past a GOAWAY's last stream id, or
        // past SETTINGS_MAX_CONCURRENT_STREAMS. The server never saw the call, so it goes again at
        // once, on another connection when the pool has one, without spending a retry (gRFC A6).
        // Bounded, so that a server that refuses everything still gets an answer.
        if (
          stream.rstCode === constants.NGHTTP2_REFUSED_STREAM &&
          headers === undefined &&
          resends < maxResends &&
          !(call ? call.aborted : signal?.aborted)
        ) {
          resends++;
          start(acquire());
          return;
        }
        try {
          const broken: BrokenStream = {
            rstCode: stream.rstCode ?? constants.NGHTTP2_NO_ERROR,
            streamError,
            connectionError: connection.failure,
            connectionLost: connection.session.closed || connection.session.destroyed,
          };
          resolve(response(req, broken, headers, trailers, chunks, received));
        } catch (error) {
          reject(error);
        }
      });
      stream.end(frame);
    }
  });
}

/** The response of a stream that closed, or the error it carried. */
function response(
  req: UnaryRequest,
  broken: BrokenStream,
  headers: IncomingHttpHeaders | undefined,
  trailers: IncomingHttpHeaders | undefined,
  chunks: Buffer[],
  received: number,
): UnaryResponse {
  // A trailers-only response carries its status in the headers.
  const status = trailers ?? (headers?.["grpc-status"] !== undefined ? headers : undefined);
  if (headers === undefined || status === undefined) throw errorFromBrokenStream(broken);
  const error = errorFromGrpcStatus(status, headers);
  if (error) throw error;
  let message: unknown;
  try {
    message = fromBinaryUnboxed(req.method.output, decodeUnaryGrpcBody(chunks, received));
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
