import { constants, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http2";
import { Code, ConnectError, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { unreadCallSignal } from "./call-signal.js";
import { gzip, gzipEncoding } from "./compression.js";
import { type EndpointTarget, requestTooLarge, responseTooLarge } from "./endpoint-target.js";
import type { Http2ConnectionPool, PooledConnection } from "./http2-connection-pool.js";
import { type BrokenStream, errorFromBrokenStream } from "./http2-stream-error.js";

/** What came back on a stream that closed, for its protocol to make the response of. */
export interface Http2Answer extends BrokenStream {
  /** The response headers; undefined when none came. */
  readonly headers: IncomingHttpHeaders | undefined;
  readonly trailers: IncomingHttpHeaders | undefined;
  /** The response body as it arrived, `received` bytes in all. */
  readonly chunks: Buffer[];
  readonly received: number;
  /** Whether the body arrived to its end, rather than being cut short. */
  readonly ended: boolean;
}

/** What one protocol sends on an HTTP/2 unary exchange and how it reads the answer. */
export interface Http2UnaryProtocol {
  /** Bytes of the body around the message (gRPC's prefix), beyond the read and write limits. */
  readonly framingBytes: number;
  /**
   * The request headers that name the body's compression and the ones the answer may have:
   * gRPC's `grpc-encoding` and `grpc-accept-encoding`, Connect's `content-encoding` and
   * `accept-encoding`.
   */
  readonly encodingHeaders: { readonly encoding: string; readonly accept: string };
  /**
   * The request message's bytes, made once for the call's resends. Throws what keeps it from
   * being sent.
   */
  serialize(req: UnaryRequest): Uint8Array;
  /** The request body around `message`, which is gzipped when `compressed`. */
  frame(message: Uint8Array, compressed: boolean): Uint8Array;
  /** Sets the protocol's own request headers over the caller's. */
  writeHeaders(outgoing: OutgoingHttpHeaders): void;
  /** The error the response headers already tell: the call ends without reading the body. */
  refuse(headers: IncomingHttpHeaders): ConnectError | undefined;
  /**
   * The response of an answer, or its promise when the message must be decompressed first
   * (zlib's thread pool). Throws, or rejects with, the error it carries.
   */
  decode(req: UnaryRequest, answer: Http2Answer): UnaryResponse | Promise<UnaryResponse>;
}

/** How many times a call refused unprocessed is sent again before its refusal is its answer. */
const maxResends = 3;

/**
 * One attempt of a unary call over HTTP/2, for either protocol: the request on a stream of a
 * pooled connection, the response collected from the stream's events. No async iterables and no
 * timers: the call's own cancellation (its deadline included) ends the stream. A request message
 * of at least `target.compressMinBytes` is gzipped first, once for every resend; a smaller one
 * goes as it is, with nothing more made for it than the header offering gzip back.
 */
export function sendHttp2Unary(
  pool: Http2ConnectionPool,
  target: EndpointTarget,
  protocol: Http2UnaryProtocol,
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
    let message: Uint8Array;
    try {
      message = protocol.serialize(req);
    } catch (error) {
      reject(ConnectError.from(error, Code.Internal));
      return;
    }
    // The limit is the message's, as the server's readMaxBytes counts it: decompressed.
    if (message.byteLength > target.writeMaxBytes) {
      reject(requestTooLarge(message.byteLength, target));
      return;
    }
    // A compressed answer is held to it twice: as it arrives, and as it inflates (decode).
    const readLimit = target.readMaxBytes + protocol.framingBytes;
    const outgoing: OutgoingHttpHeaders = {};
    req.header.forEach((value, name) => {
      outgoing[name] = value;
    });
    outgoing[":method"] = "POST";
    outgoing[":scheme"] = target.scheme;
    outgoing[":authority"] = target.authority;
    outgoing[":path"] = `${target.pathPrefix}/${req.service.typeName}/${req.method.name}`;
    protocol.writeHeaders(outgoing);
    const { compressMinBytes } = target;
    if (compressMinBytes !== undefined) outgoing[protocol.encodingHeaders.accept] = gzipEncoding;

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
          if (diedBeforeSettings(connection) && resends < maxResends) {
            // Made, then lost before its server said anything (a server that died as it
            // accepted): nothing was sent on it, so the call goes to a fresh connection at once.
            pool.release(connection);
            resends++;
            start(acquire());
            return;
          }
          // Never made, or silent: the stream reports why, as on any broken connection.
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
    /** The request's body, made once for every stream the call is sent on. */
    let body: Uint8Array;
    if (compressMinBytes === undefined || message.byteLength < compressMinBytes) {
      body = protocol.frame(message, false);
      start(acquire());
      return;
    }
    outgoing[protocol.encodingHeaders.encoding] = gzipEncoding;
    // A call cancelled meanwhile ends once zlib is done: a few ms for the largest messages.
    gzip(message).then(
      (compressed) => {
        if (call ? call.aborted : signal?.aborted) {
          reject(ConnectError.from(call ? call.reason : signal?.reason, Code.Canceled));
          return;
        }
        body = protocol.frame(compressed, true);
        start(acquire());
      },
      (error: unknown) => reject(ConnectError.from(error, Code.Internal)),
    );

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

      let settled = false;
      let headers: IncomingHttpHeaders | undefined;
      let trailers: IncomingHttpHeaders | undefined;
      let streamError: Error | undefined;
      let ended = false;
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
        const error = protocol.refuse(h);
        if (error) fail(error);
      });
      stream.on("data", (chunk: Buffer) => {
        received += chunk.byteLength;
        if (received > readLimit) {
          fail(responseTooLarge(target));
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
      // The server answered before it read the whole request (an error past its read limit):
      // the answer is complete, and the rest of the body would wait for flow-control window
      // that never comes. Stop sending (RFC 9113 §8.1).
      stream.on("end", () => {
        ended = true;
        if (!stream.writableFinished && !stream.closed) stream.close(constants.NGHTTP2_CANCEL);
      });
      stream.on("close", () => {
        if (!stream.writableFinished) pool.noteUnsent(connection, body.byteLength);
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
          resolve(
            protocol.decode(req, {
              headers,
              trailers,
              chunks,
              received,
              ended,
              rstCode: stream.rstCode ?? constants.NGHTTP2_NO_ERROR,
              streamError,
              connectionError: connection.failure,
              connectionLost: connection.session.closed || connection.session.destroyed,
            }),
          );
        } catch (error) {
          reject(error);
        }
      });
      stream.end(body);
    }
  });
}

/** Whether `connection` was made (TCP, and TLS) and then lost, before any SETTINGS came. */
function diedBeforeSettings(connection: PooledConnection): boolean {
  const session = connection.session;
  return !session.connecting && (session.closed || session.destroyed);
}
