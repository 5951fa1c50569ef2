import type { IncomingHttpHeaders } from "node:http";
import type { JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  codeFromHttpStatus,
  errorFromJson,
  parseContentType,
} from "@connectrpc/connect/protocol-connect";
import { gunzipWithin, gzipEncoding } from "./compression.js";
import { headersFromHttp2 } from "./http2-headers.js";

/**
 * What the status and headers of a Connect unary answer say its body is: the response message
 * ("message"), a Connect error in JSON ("error"), or nothing worth reading (the error, as
 * connect's transports report it). A body may be gzipped only when the request offered it
 * (`acceptsGzip`); see {@link isGzipped}.
 */
export function answerKind(
  status: number,
  headers: IncomingHttpHeaders,
  acceptsGzip = false,
): "message" | "error" | ConnectError {
  const encoding = headers["content-encoding"];
  if (
    encoding !== undefined &&
    encoding.toLowerCase() !== "identity" &&
    !(acceptsGzip && isGzipped(headers))
  ) {
    return new ConnectError(
      `unsupported response encoding "${encoding}"`,
      Code.Internal,
      headersFromHttp2(headers),
    );
  }
  const contentType = headers["content-type"];
  const parsed = parseContentType(contentType ?? null);
  if (status !== 200) {
    return parsed !== undefined && !parsed.binary ? "error" : errorFromStatus(status, headers);
  }
  if (parsed === undefined || parsed.binary || parsed.stream) {
    return new ConnectError(
      `unsupported content type ${contentType}`,
      parsed === undefined ? Code.Unknown : Code.Internal,
      headersFromHttp2(headers),
    );
  }
  return "message";
}

/** Whether a unary answer's body is gzipped (`Content-Encoding: gzip`). */
export function isGzipped(headers: IncomingHttpHeaders): boolean {
  return headers["content-encoding"]?.toLowerCase() === gzipEncoding;
}

/**
 * The text of a gzipped answer's body, inflated within `readMaxBytes`: RESOURCE_EXHAUSTED past
 * it, INTERNAL when it is not gzip. An error answer's body that cannot be inflated is read as
 * none, so that its HTTP status tells the error (see {@link errorFromAnswer}).
 */
export async function gunzipAnswer(
  status: number,
  body: Uint8Array,
  readMaxBytes: number,
): Promise<string> {
  try {
    return (await gunzipWithin(body, readMaxBytes, "response message")).toString();
  } catch (error) {
    if (status === 200) throw error;
    return "";
  }
}

/**
 * The error of a non-200 answer with a JSON body: the Connect error it holds, with the headers
 * and trailers as metadata, or the HTTP status's error when the body is not one.
 */
export function errorFromAnswer(
  status: number,
  headers: IncomingHttpHeaders,
  body: string,
): ConnectError {
  let json: JsonValue;
  try {
    json = JSON.parse(body) as JsonValue;
  } catch {
    return errorFromStatus(status, headers);
  }
  const [header, trailer] = splitTrailers(headers);
  const metadata = headersFromHttp2(header);
  if (trailer !== undefined) {
    headersFromHttp2(trailer).forEach((value, name) => {
      metadata.append(name, value);
    });
  }
  try {
    return errorFromJson(
      json,
      metadata,
      new ConnectError(`HTTP ${status}`, codeFromHttpStatus(status)),
    );
  } catch (fallback) {
    return fallback as ConnectError;
  }
}

/**
 * The headers of a unary answer apart from its trailers, which the Connect protocol sends as
 * headers prefixed `trailer-`; the trailers without the prefix, or undefined when there are none.
 */
export function splitTrailers(
  headers: IncomingHttpHeaders,
): [IncomingHttpHeaders, IncomingHttpHeaders | undefined] {
  let header: IncomingHttpHeaders | undefined;
  let trailer: IncomingHttpHeaders | undefined;
  for (const name in headers) {
    if (!name.startsWith("trailer-")) continue;
    if (header === undefined) {
      header = { ...headers };
      trailer = {};
    }
    (trailer as IncomingHttpHeaders)[name.slice(8)] = headers[name];
    delete header[name];
  }
  return [header ?? headers, trailer];
}

function errorFromStatus(status: number, headers: IncomingHttpHeaders): ConnectError {
  return new ConnectError(`HTTP ${status}`, codeFromHttpStatus(status), headersFromHttp2(headers));
}
