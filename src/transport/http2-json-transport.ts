import type { IncomingHttpHeaders } from "node:http2";
import { Code, ConnectError, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { writeConnectDeadline } from "../policy/deadline-header.js";
import {
  answerKind,
  errorFromAnswer,
  gunzipAnswer,
  isGzipped,
  splitTrailers,
} from "./connect-json-status.js";
import { createHttp2JsonStreamSender } from "./connect-stream-protocol.js";
import { type EndpointTarget, responseTooLarge } from "./endpoint-target.js";
import { fromJsonUnboxed } from "./from-json-unboxed.js";
import type { Http2ConnectionPool } from "./http2-connection-pool.js";
import { lazyHeadersFromHttp2 } from "./http2-headers.js";
import { errorFromBrokenStream } from "./http2-stream-error.js";
import { createHttp2Transport, type Http2TransportOptions } from "./http2-transport.js";
import { type Http2UnaryProtocol, sendHttp2Unary } from "./http2-unary-exchange.js";
import { toJsonBulk } from "./to-json-bulk.js";
import type { ClosableTransport } from "./transport-options.js";

/** Options of {@link createHttp2JsonTransport}; "http://" means h2c, "https://" TLS with ALPN h2. */
export type Http2JsonTransportOptions = Http2TransportOptions;

/** A connect Transport for the Connect protocol's JSON over node:http2, with a way to close it. */
export type Http2JsonTransport = ClosableTransport;

const userAgent = "contextiq-clients/0.1 connect-json-http2";
/** connect's default for reading JSON: a field this client does not know yet is skipped. */
const jsonReadOptions = { ignoreUnknownFields: true };

/**
 * The Connect protocol with JSON bodies over `node:http2`, on the same pool of connections and the
 * same stream handling as the gRPC transport (see http2-unary-exchange.ts): a stream refused
 * unprocessed is sent again at once, and a call the server answers before reading its whole
 * request stops sending. It implements connect's `Transport`, so generated clients and
 * interceptors work on it unchanged. Streaming RPCs (server, client and bidirectional) use the
 * Connect streaming protocol (`application/connect+json`), one HTTP/2 stream each with flow control
 * both ways and gzip (see http2-stream-exchange.ts).
 */
export function createHttp2JsonTransport(options: Http2JsonTransportOptions): Http2JsonTransport {
  return createHttp2Transport(options, {
    writeDeadline: writeConnectDeadline,
    createSender: createHttp2JsonSender,
    createStreamSender: createHttp2JsonStreamSender,
  });
}

/**
 * The attempts of one endpoint over Connect JSON on HTTP/2: each on a stream of `pool`, whose
 * origin may be an address of the host `target.authority` names.
 */
export function createHttp2JsonSender(
  pool: Http2ConnectionPool,
  target: EndpointTarget,
): (req: UnaryRequest) => Promise<UnaryResponse> {
  const acceptsGzip = target.compressMinBytes !== undefined;
  const protocol: Http2UnaryProtocol = {
    framingBytes: 0,
    encodingHeaders: { encoding: "content-encoding", accept: "accept-encoding" },
    serialize(req) {
      return Buffer.from(JSON.stringify(toJsonBulk(req.method.input, req.message)));
    },
    frame: (message) => message,
    writeHeaders(outgoing) {
      outgoing["content-type"] = "application/json";
      outgoing["connect-protocol-version"] = "1";
      outgoing["user-agent"] ??= userAgent;
    },
    refuse(headers) {
      const kind = answerKind(Number(headers[":status"]), headers, acceptsGzip);
      if (kind instanceof ConnectError) return kind;
      if (Number(headers["content-length"]) > target.readMaxBytes) return responseTooLarge(target);
      return undefined;
    },
    decode(req, answer) {
      const headers = answer.headers;
      if (headers === undefined || !answer.ended) throw errorFromBrokenStream(answer);
      const status = Number(headers[":status"]);
      const chunks = answer.chunks;
      const body =
        chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, answer.received);
      if (!isGzipped(headers)) return answered(req, status, headers, body.toString());
      return gunzipAnswer(status, body, target.readMaxBytes).then((text) =>
        answered(req, status, headers, text),
      );
    },
  };
  return (req) => sendHttp2Unary(pool, target, protocol, req);
}

/** The response of an answer whose body, decompressed, is `text`; or the error it holds. */
function answered(
  req: UnaryRequest,
  status: number,
  headers: IncomingHttpHeaders,
  text: string,
): UnaryResponse {
  if (answerKind(status, headers, true) === "error") throw errorFromAnswer(status, headers, text);
  let message: unknown;
  try {
    message = fromJsonUnboxed(req.method.output, JSON.parse(text), jsonReadOptions);
  } catch (error) {
    throw ConnectError.from(error, Code.Internal);
  }
  const [header, trailer] = splitTrailers(headers);
  return {
    stream: false,
    service: req.service,
    method: req.method,
    header: lazyHeadersFromHttp2(header),
    trailer: lazyHeadersFromHttp2(trailer),
    message,
  } as UnaryResponse;
}
