import type { IncomingHttpHeaders } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeFromHttpStatus, findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { gzipEncoding } from "./compression.js";
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
  let error: ConnectError | undefined;
  try {
    error = findTrailerError(trailer);
  } catch {
    // A grpc-message that is not valid percent-encoding (a bare "%"), or details that do not
    // decode: the status still stands, with the message as it came (gRPC's spec) and no details.
    error = lenientStatusError(status);
  }
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

/** The error of a status whose message or details connect cannot decode. */
function lenientStatusError(status: IncomingHttpHeaders): ConnectError {
  const value = Number(status["grpc-status"]);
  const code =
    Number.isInteger(value) && value >= 1 && value <= 16 ? (value as Code) : Code.Unknown;
  const raw = status["grpc-message"];
  const text = Array.isArray(raw) ? raw.join(", ") : (raw ?? "");
  let message = text;
  try {
    message = decodeURIComponent(text);
  } catch {
    // Shown as it came.
  }
  const metadata = headersFromHttp2(status);
  metadata.delete("grpc-status-details-bin");
  return new ConnectError(message, code, metadata);
}

/**
 * The error of a response that is not gRPC at all: an HTTP error status or a foreign type; or
 * one whose messages are compressed in a way the request did not offer (gzip when
 * `acceptsGzip`, else none).
 */
export function errorFromHttpResponse(
  headers: IncomingHttpHeaders,
  acceptsGzip = false,
): ConnectError | undefined {
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
  if (
    encoding !== undefined &&
    encoding !== "identity" &&
    !(acceptsGzip && encoding === gzipEncoding)
  ) {
    return new ConnectError(
      `unsupported response encoding "${encoding}"`,
      Code.Internal,
      headersFromHttp2(headers),
    );
  }
  return undefined;
}
