import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel as Idempotency } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { tlsFailure } from "./tls-failure.js";

/**
 * How a failed attempt failed, judged by what happened rather than by the code connect-node
 * chose: it reports a reset connection as ABORTED over HTTP/2 and as UNAVAILABLE or UNKNOWN over
 * HTTP/1.1, so the same failure must be recognised from the error's cause on every transport.
 *
 * - `refused`: no connection was made, so the server never saw the request.
 * - `reset`: the connection broke while the request was in flight; the server may have acted on it.
 * - `status`: the server (or a proxy) answered with an error status.
 * - `tls`: a certificate was refused, on one side or the other; trying again cannot help.
 */
export type FailureKind = "refused" | "reset" | "status" | "tls";

// Node's codes for a connection that was never made.
const refusedCodes = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
// Node's codes for a connection or stream that broke in flight.
const resetCodes = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ERR_HTTP2_STREAM_ERROR",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_INVALID_SESSION",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_STREAM_CANCEL",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/**
 * Classifies a failed attempt; see {@link FailureKind}. Only for attempts the caller did not
 * cancel: a CANCELED that the caller did not ask for is the transport's report of a broken stream.
 */
export function failureKind(error: ConnectError): FailureKind {
  // First: a refused certificate also breaks the streams and the connection it was sent on.
  if (tlsFailure(error)) return "tls";
  // REFUSED_STREAM promises the request was not processed (RFC 9113 §8.7); connect-node reports
  // it as INTERNAL "Stream closed with error code NGHTTP2_REFUSED_STREAM" or by its name.
  if (/REFUSED_STREAM/.test(error.rawMessage)) return "refused";
  for (let cause: unknown = error.cause, depth = 0; cause && depth < 5; depth++) {
    const { code, syscall } = cause as { code?: unknown; syscall?: unknown };
    if (typeof code === "string") {
      // Whatever its code, a failed connect sent nothing: a listener that dies as it accepts
      // answers the handshake with a reset (ECONNRESET), not a refusal.
      if (refusedCodes.has(code) || syscall === "connect") return "refused";
      if (resetCodes.has(code)) return "reset";
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  // An HTTP/2 stream reset by the peer with any other code, CANCEL included: connect-node reports
  // the streams of a session that died under them as CANCELED, with no cause.
  if (/http\/2 stream closed with error code/i.test(error.rawMessage)) return "reset";
  // A stream or socket closed without any status: connect-node words it, but gives no cause.
  if (
    (error.code === Code.Aborted || error.code === Code.Unknown || error.code === Code.Internal) &&
    /premature close|stream closed|socket hang up|other side closed/i.test(error.rawMessage)
  ) {
    return "reset";
  }
  return "status";
}

/**
 * Whether repeating the call cannot do harm: reads (NO_SIDE_EFFECTS), idempotent mutations
 * (IDEMPOTENT), and creates whose request carries a `request_id` the server deduplicates on.
 */
export function isSafeToRepeat(method: DescMethod, message: unknown): boolean {
  if (method.idempotency !== Idempotency.IDEMPOTENCY_UNKNOWN) return true;
  const requestId = (message as { requestId?: unknown }).requestId;
  return typeof requestId === "string" && requestId !== "";
}

/**
 * Whether a failed attempt may be retried (docs/reliability.md): a refused connection and UNAVAILABLE
 * always; a connection reset in flight only when the call is safe to repeat; RESOURCE_EXHAUSTED
 * only when the server pushed back with a delay; nothing else (INVALID_ARGUMENT, NOT_FOUND,
 * ALREADY_EXISTS, FAILED_PRECONDITION, auth errors, and the caller's own cancel or deadline).
 */
export function isTransient(
  error: ConnectError,
  safeToRepeat: boolean,
  pushbackMs: number | undefined,
): boolean {
  switch (failureKind(error)) {
    case "refused":
      return true;
    case "reset":
      return safeToRepeat;
    case "tls":
      return false;
    case "status":
      return (
        error.code === Code.Unavailable ||
        (error.code === Code.ResourceExhausted && pushbackMs !== undefined)
      );
  }
}

/**
 * The error a caller sees for an attempt that failed: resets, refusals and TLS failures read as
 * UNAVAILABLE, a TLS failure with what to change.
 */
export function normalizeFailure(error: ConnectError, url?: string): ConnectError {
  const tls = tlsFailure(error);
  if (tls) {
    const peer = url === undefined ? "the server" : new URL(url).origin;
    return new ConnectError(
      `TLS with ${peer} failed: ${tls.explanation} (${tls.code})`,
      Code.Unavailable,
      error.metadata,
      undefined,
      error,
    );
  }
  if (failureKind(error) === "status" || error.code === Code.Unavailable) return error;
  return new ConnectError(error.rawMessage, Code.Unavailable, error.metadata, undefined, error);
}
