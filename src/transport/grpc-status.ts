import { constants, type IncomingHttpHeaders } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeFromHttpStatus, findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { headersFromHttp2 } from "./http2-headers.js";

/**
 * The error a gRPC response reports, or undefined for OK. `status` is where the status was found:
 * the trailers, or the headers of a trailers-only response. The error's metadata holds headers
 * and trailers both, so that a pushback or Retry-After is found wherever the server put it.
 */
export function errorFromGrpcStatus(
  status: IncomingHttpHeaders,
  headers: IncomingHttpHeaders,
): ConnectError | undefined {
  if (status["grpc-status"] === "0") return undefined;
  const trailer = headersFromHttp2(status);
  const error = findTrailerError(trailer);
  if (error === undefined) {
    return new ConnectError("protocol error: the response carries no grpc-status", Code.Internal);
  }
  if (status !== headers) {
    headersFromHttp2(headers).forEach((value, name) => {
      if (!error.metadata.has(name)) error.metadata.append(name, value);
    });
  }
  return error;
}

/** The error of a response that is not gRPC at all: an HTTP error status or a foreign type. */
export function errorFromHttpResponse(headers: IncomingHttpHeaders): ConnectError | undefined {
  const status = Number(headers[":status"]);
  if (status !== 200) {
    return new ConnectError(
      `HTTP ${status}`,
      codeFromHttpStatus(status),
      headersFromHttp2(headers),
    );
  }
  const contentType = headers["content-type"] ?? "";
  if (!/^application\/grpc(?:\+proto)?(?:;|$)/i.test(contentType)) {
    return new ConnectError(
      `unsupported content type ${contentType || "(none)"}`,
      Code.Unknown,
      headersFromHttp2(headers),
    );
  }
  const encoding = headers["grpc-encoding"];
  if (encoding !== undefined && encoding !== "identity") {
    return new ConnectError(
      `unsupported response encoding "${encoding}"`,
      Code.Internal,
      headersFromHttp2(headers),
    );
  }
  return undefined;
}

const rstCodeNames = new Map(
  Object.entries(constants)
    .filter(([name]) => name.startsWith("NGHTTP2_") && !name.startsWith("NGHTTP2_SESSION"))
    .map(([name, value]) => [value, name] as const),
);

/**
 * The error of a stream that ended without a gRPC status. The codes follow gRPC's mapping of
 * HTTP/2 errors (PROTOCOL-HTTP2.md): a refused stream is UNAVAILABLE (and was never processed), a
 * lost connection is UNAVAILABLE, other resets INTERNAL. The cause keeps node's error, or one
 * with a code that says what happened, so that retries can tell a refusal from a reset.
 */
export function errorFromBrokenStream(rstCode: number, cause: Error | undefined): ConnectError {
  if (cause !== undefined) {
    return new ConnectError(
      cause.message,
      causeCodes(cause).some(isConnectionFailure) ? Code.Unavailable : Code.Internal,
      undefined,
      undefined,
      cause,
    );
  }
  if (rstCode === constants.NGHTTP2_NO_ERROR) {
    return new ConnectError(
      "premature close: the stream ended without a gRPC status",
      Code.Internal,
      undefined,
      undefined,
      withCode(new Error("premature close"), "ERR_STREAM_PREMATURE_CLOSE"),
    );
  }
  const name = rstCodeNames.get(rstCode) ?? `code ${rstCode}`;
  const message = `http/2 stream closed with error code ${name}`;
  const code =
    rstCode === constants.NGHTTP2_REFUSED_STREAM
      ? Code.Unavailable
      : rstCode === constants.NGHTTP2_CANCEL
        ? Code.Canceled
        : rstCode === constants.NGHTTP2_ENHANCE_YOUR_CALM
          ? Code.ResourceExhausted
          : rstCode === constants.NGHTTP2_INADEQUATE_SECURITY
            ? Code.PermissionDenied
            : Code.Internal;
  return new ConnectError(
    message,
    code,
    undefined,
    undefined,
    withCode(new Error(message), "ERR_HTTP2_STREAM_ERROR"),
  );
}

/** Node's error codes along a chain of causes: a canceled stream's cause says why. */
function causeCodes(error: Error): unknown[] {
  const codes: unknown[] = [];
  for (let e: unknown = error; e instanceof Error && codes.length < 5; e = e.cause) {
    codes.push((e as { code?: unknown }).code);
  }
  return codes;
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
    code === "ERR_HTTP2_SESSION_ERROR" ||
    code === "ERR_HTTP2_INVALID_SESSION"
  );
}

function withCode(error: Error, code: string): Error {
  return Object.assign(error, { code });
}
