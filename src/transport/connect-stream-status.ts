import type { IncomingHttpHeaders } from "node:http";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  codeFromHttpStatus,
  endStreamFromJson,
  parseContentType,
} from "@connectrpc/connect/protocol-connect";
import { gzipEncoding } from "./compression.js";
import { headersFromHttp2 } from "./http2-headers.js";

/** The flag of the envelope that ends a Connect stream, holding its error and trailers in JSON. */
export const endStreamFlag = 0b10;

/**
 * What the status and headers of a Connect streaming answer say its body is: enveloped JSON
 * messages, plain ("identity") or gzipped ("gzip"); a Connect error in a unary-style JSON body
 * ("error": a server streams only with 200, so this comes from one that refused the call before
 * streaming, or from a proxy); or nothing worth reading (the error, as connect's transports report
 * it).
 */
export function streamAnswerKind(
  status: number,
  headers: IncomingHttpHeaders,
): "identity" | "gzip" | "error" | ConnectError {
  const contentType = headers["content-type"];
  const parsed = parseContentType(contentType ?? null);
  if (status !== 200) {
    if (parsed !== undefined && !parsed.binary && !parsed.stream) return "error";
    return new ConnectError(
      `HTTP ${status}`,
      codeFromHttpStatus(status),
      headersFromHttp2(headers),
    );
  }
  if (parsed === undefined || parsed.binary || !parsed.stream) {
    return new ConnectError(
      `unsupported content type ${contentType}`,
      parsed === undefined ? Code.Unknown : Code.Internal,
      headersFromHttp2(headers),
    );
  }
  const named = headers["connect-content-encoding"];
  const encoding = named === undefined ? undefined : String(named).toLowerCase();
  if (encoding === undefined || encoding === "identity") return "identity";
  if (encoding === gzipEncoding) return gzipEncoding;
  // The request offered gzip only: the spec makes any other encoding an internal error.
  return new ConnectError(
    `unsupported response encoding "${encoding}"`,
    Code.Internal,
    headersFromHttp2(headers),
  );
}

/**
 * The trailers a stream's end-stream message holds (its `metadata`), or the error it holds, thrown
 * with the response's `header` and those trailers as its metadata, as connect's transports do. An
 * end-stream message that is not the protocol's JSON is UNKNOWN, as connect reads it; an error
 * with a code this client does not know is UNKNOWN too.
 */
export function endOfStream(data: Uint8Array, header: Headers): Headers {
  const { metadata, error } = endStreamFromJson(data);
  if (error !== undefined) {
    header.forEach((value, name) => {
      error.metadata.append(name, value);
    });
    throw error;
  }
  return metadata;
}
