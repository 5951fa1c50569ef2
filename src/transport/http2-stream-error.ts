import { constants } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";

const rstCodeNames = new Map(
  Object.entries(constants)
    .filter(([name]) => name.startsWith("NGHTTP2_") && !name.startsWith("NGHTTP2_SESSION"))
    .map(([name, value]) => [value, name] as const),
);

/** What is known of an HTTP/2 stream that closed without a complete answer. */
export interface BrokenStream {
  /** The RST_STREAM code it closed with (NGHTTP2_NO_ERROR when none). */
  readonly rstCode: number;
  /** The error node reported on the stream, if any. */
  readonly streamError: Error | undefined;
  /** The error its connection failed with, if it did. */
  readonly connectionError: Error | undefined;
  /** Whether its connection was gone (closed or destroyed) when it closed. */
  readonly connectionLost: boolean;
}

/**
 * The error of a stream that ended without a complete answer (for gRPC: without a status). The
 * codes follow gRPC's mapping of HTTP/2 errors (PROTOCOL-HTTP2.md), as connect-node's do for every
 * protocol: a connection that could not be made or was lost is UNAVAILABLE, a refused stream is
 * UNAVAILABLE (and was never processed), other resets by their code. The cause is node's error, or
 * one with a code that says what happened, so that retries can tell a refusal (never processed)
 * from a reset (maybe processed): see `failureKind`.
 */
export function errorFromBrokenStream(broken: BrokenStream): ConnectError {
  const { rstCode, streamError } = broken;
  // The connection failed: its error says why (refused, reset, no answer to a ping). A stream
  // that was waiting for the connection carries it as the cause of a "canceled" error.
  const connectionFailure =
    broken.connectionError ?? (streamError && connectionFailureIn(streamError));
  if (connectionFailure !== undefined) {
    return new ConnectError(
      connectionFailure.message,
      Code.Unavailable,
      undefined,
      undefined,
      connectionFailure,
    );
  }
  // Node closes the streams of a connection that went away with CANCEL, though nobody cancelled.
  if (
    broken.connectionLost &&
    (rstCode === constants.NGHTTP2_CANCEL || rstCode === constants.NGHTTP2_NO_ERROR)
  ) {
    const message = "the connection closed with the call in flight";
    return new ConnectError(
      message,
      Code.Unavailable,
      undefined,
      undefined,
      withCode(new Error(message, { cause: streamError }), "ECONNRESET"),
    );
  }
  if (rstCode !== constants.NGHTTP2_NO_ERROR) {
    const name = rstCodeNames.get(rstCode) ?? `code ${rstCode}`;
    const message = `http/2 stream closed with error code ${name}`;
    return new ConnectError(
      message,
      codeOfReset(rstCode),
      undefined,
      undefined,
      withCode(new Error(message, { cause: streamError }), "ERR_HTTP2_STREAM_ERROR"),
    );
  }
  if (streamError !== undefined) {
    return new ConnectError(streamError.message, Code.Internal, undefined, undefined, streamError);
  }
  return new ConnectError(
    "premature close: the stream ended before its answer was complete",
    Code.Internal,
    undefined,
    undefined,
    withCode(new Error("premature close"), "ERR_STREAM_PREMATURE_CLOSE"),
  );
}

function codeOfReset(rstCode: number): Code {
  switch (rstCode) {
    case constants.NGHTTP2_REFUSED_STREAM:
      return Code.Unavailable;
    case constants.NGHTTP2_CANCEL:
      return Code.Canceled;
    case constants.NGHTTP2_ENHANCE_YOUR_CALM:
      return Code.ResourceExhausted;
    case constants.NGHTTP2_INADEQUATE_SECURITY:
      return Code.PermissionDenied;
    default:
      return Code.Internal;
  }
}

/** The first error along a chain of causes that says a connection failed, if one does. */
function connectionFailureIn(error: Error): Error | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (isConnectionFailure((e as { code?: unknown }).code)) return e;
  }
  return undefined;
}

/** A connection that could not be made or was lost, rather than a fault of this one stream. */
function isConnectionFailure(code: unknown): boolean {
  return (
    code === "ECONNREFUSED" ||
    code === "EHOSTUNREACH" ||
    code === "ENETUNREACH" ||
    code === "EAI_AGAIN" ||
    code === "ECONNRESET" ||
    code === "EPIPE" ||
    code === "ETIMEDOUT" ||
    code === "ERR_HTTP2_GOAWAY_SESSION" ||
    code === "ERR_HTTP2_SESSION_ERROR"
  );
}

function withCode(error: Error, code: string): Error {
  return Object.assign(error, { code });
}
