import {
  type ClientHttp2Stream,
  constants,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from "node:http2";
import { Code, ConnectError, type StreamRequest, type StreamResponse } from "@connectrpc/connect";
import type { EndpointTarget } from "./endpoint-target.js";
import type { Http2ConnectionPool, PooledConnection } from "./http2-connection-pool.js";
import { lazyHeadersFromHttp2 } from "./http2-headers.js";
import { errorFromBrokenStream } from "./http2-stream-error.js";
import type { ErrorInBody, Http2StreamProtocol } from "./http2-stream-protocol.js";
import { acquireReadyConnection } from "./ready-connection.js";
import { RequestEnvelopes, requestEncoder } from "./request-envelopes.js";
import { writeRequest } from "./request-writer.js";
import { type ReadOutcome, ResponseMessages } from "./response-messages.js";

/** How many times a stream refused unprocessed is sent again before its refusal is its answer. */
const maxResends = 3;

/**
 * A streaming call over HTTP/2, for either protocol: one stream of a pooled connection, held from
 * the request's headers until the stream closes, whichever way it ends. Resolves with the response
 * once its headers came; its messages are read as the caller pulls them (see ResponseMessages),
 * while the request's messages are written as the caller's iterable yields them, each write
 * waiting for 'drain'. The call's signal (its cancel and deadline) resets the stream with CANCEL.
 * A stream refused unprocessed (REFUSED_STREAM before any response) is sent again at once, as a
 * unary call is, while the call has taken at most one request message from the caller.
 */
export function sendHttp2Stream(
  pool: Http2ConnectionPool,
  target: EndpointTarget,
  protocol: Http2StreamProtocol,
  req: StreamRequest,
): Promise<StreamResponse> {
  return new Promise((resolve, reject) => {
    const signal = req.signal;
    if (signal.aborted) {
      reject(ConnectError.from(signal.reason, Code.Canceled));
      return;
    }
    const method = req.method;
    const envelopes = new RequestEnvelopes(
      req.message,
      requestEncoder((message) => protocol.serialize(method, message), target),
    );
    const outgoing = requestHeaders(req, target, protocol);
    let resends = 0;

    const begin = () => {
      acquireReadyConnection(pool, signal).then(open, (error: unknown) => {
        envelopes.close();
        reject(error);
      });
    };
    begin();

    function open(connection: PooledConnection): void {
      if (signal.aborted) {
        pool.release(connection);
        envelopes.close();
        reject(ConnectError.from(signal.reason, Code.Canceled));
        return;
      }
      let stream: ClientHttp2Stream;
      try {
        stream = connection.session.request(outgoing);
      } catch (error) {
        // The session went away between the pool's check and this request.
        pool.release(connection);
        envelopes.close();
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
      let headers: IncomingHttpHeaders | undefined;
      let streamError: Error | undefined;
      let messages: ResponseMessages | undefined;
      /** Whether the call's promise is settled: from then on its messages carry what happens. */
      let answered = false;
      let over = false;
      const unsent = { written: 0, flushed: 0 };
      const trailer = new Headers();

      /** Once per call, however it ends: stops listening and lets the caller's iterable finish. */
      const conclude = () => {
        if (over) return;
        over = true;
        signal.removeEventListener("abort", onAbort);
        envelopes.close();
      };
      const cancel = () => {
        if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
      };
      /** The call fails before its response: the promise rejects. */
      const refuse = (error: ConnectError) => {
        cancel();
        if (answered) return;
        answered = true;
        conclude();
        reject(error);
      };
      /** The call is cut short: its promise rejects, or its reader gets `error` next. */
      const interrupt = (error: ConnectError) => {
        if (messages) {
          cancel();
          messages.interrupt(error);
        } else {
          refuse(error);
        }
      };
      /** The reader's part ended: the stream is done with, and whatever is left of it goes. */
      const settle = (outcome: ReadOutcome) => {
        conclude();
        // Ended in full while the request still had messages to send (a server that answers
        // before reading them all): stop sending, as the call is over (RFC 9113 §8.1).
        if (outcome !== undefined || !stream.writableFinished) cancel();
        // Let what remains of a stream that ended by its end-stream message flow to its end;
        // nothing may follow that message, so a server that does not end the stream soon after
        // is cut, and the connection's slot comes back.
        else if (!stream.readableEnded) {
          stream.resume();
          const late = setTimeout(cancel, 1_000).unref();
          stream.once("close", () => clearTimeout(late));
        }
      };
      function onAbort() {
        const reason = ConnectError.from(signal.reason, Code.Canceled);
        // A caller that gives up on a stream as UNAVAILABLE found it silent (a watch without
        // heartbeats): its connection takes no new stream until it answers a ping.
        if (reason.code === Code.Unavailable) pool.suspect(connection);
        interrupt(reason);
      }
      signal.addEventListener("abort", onAbort, { once: true });

      stream.on("response", (h) => {
        headers = h;
        let read: ReturnType<typeof protocol.respond>;
        try {
          read = protocol.respond(method, h, trailer, target.compressMinBytes !== undefined);
        } catch (error) {
          // Thrown in an event listener, it would end the process.
          refuse(ConnectError.from(error, Code.Internal));
          return;
        }
        if (read instanceof ConnectError) {
          refuse(read);
          return;
        }
        if ("errorOf" in read) {
          readErrorBody(stream, target.readMaxBytes, read, refuse);
          return;
        }
        messages = new ResponseMessages(stream, read, target, settle);
        answered = true;
        resolve({
          stream: true,
          service: req.service,
          method,
          header: lazyHeadersFromHttp2(h),
          trailer,
          message: messages,
        } as StreamResponse);
      });
      stream.on("error", (error) => {
        streamError = error;
      });
      stream.on("close", () => {
        const unflushed = unsent.written - unsent.flushed;
        if (unflushed > 0) pool.noteUnsent(connection, unflushed);
        pool.release(connection);
        if (over) return;
        // Refused before the server processed it (past a GOAWAY's last stream id, or past
        // SETTINGS_MAX_CONCURRENT_STREAMS): it goes again at once, on another connection when the
        // pool has one, without spending a retry (gRFC A6), if it can be sent again as it was.
        if (
          !answered &&
          stream.rstCode === constants.NGHTTP2_REFUSED_STREAM &&
          headers === undefined &&
          envelopes.replayable &&
          resends < maxResends &&
          !signal.aborted
        ) {
          resends++;
          signal.removeEventListener("abort", onAbort);
          begin();
          return;
        }
        const rstCode = stream.rstCode ?? constants.NGHTTP2_NO_ERROR;
        const broken = errorFromBrokenStream({
          rstCode,
          streamError,
          connectionError: connection.failure,
          connectionLost: connection.session.closed || connection.session.destroyed,
        });
        if (messages) messages.closed(rstCode, broken);
        else refuse(broken);
      });
      writeRequest(stream, envelopes, unsent).catch((error: unknown) => {
        // The caller's iterable threw, or a message could not be sent: the call fails with that.
        if (!stream.closed) interrupt(ConnectError.from(error, Code.Internal));
      });
    }
  });
}

/** The request's headers: the caller's, then the protocol's, then the stream's own. */
function requestHeaders(
  req: StreamRequest,
  target: EndpointTarget,
  protocol: Http2StreamProtocol,
): OutgoingHttpHeaders {
  const outgoing: OutgoingHttpHeaders = {};
  req.header.forEach((value, name) => {
    outgoing[name] = value;
  });
  outgoing[":method"] = "POST";
  outgoing[":scheme"] = target.scheme;
  outgoing[":authority"] = target.authority;
  outgoing[":path"] = `${target.pathPrefix}/${req.service.typeName}/${req.method.name}`;
  protocol.writeHeaders(outgoing, target.compressMinBytes !== undefined);
  return outgoing;
}

/**
 * Reads a body that holds the call's error, up to `maxBytes`, and refuses the call with it once
 * the body ended. A body cut short is left to the stream's close, which tells why.
 */
function readErrorBody(
  stream: ClientHttp2Stream,
  maxBytes: number,
  read: ErrorInBody,
  refuse: (error: ConnectError) => void,
): void {
  // An error body is small; a larger one (a proxy's endless page) is not waited for: the error
  // is the HTTP status's, and the stream is cancelled.
  const limit = Math.min(maxBytes, maxErrorBodyBytes);
  const chunks: Buffer[] = [];
  let received = 0;
  stream.on("data", (chunk: Buffer) => {
    received += chunk.byteLength;
    if (received <= limit) chunks.push(chunk);
    else refuse(read.errorOf(""));
  });
  stream.on("end", () => {
    if (received <= limit) refuse(read.errorOf(Buffer.concat(chunks, received).toString()));
  });
}

/** The most of an error body read; HTTP/1.1 streams and unary calls stop at the same. */
const maxErrorBodyBytes = 64 * 1024;
