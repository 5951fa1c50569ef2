import type { IncomingHttpHeaders } from "node:http2";
import type { DescMethodStreaming } from "@bufbuild/protobuf";
import { Code, ConnectError, type StreamRequest, type StreamResponse } from "@connectrpc/connect";
import { endStreamFromJson } from "@connectrpc/connect/protocol-connect";
import { gzipEncoding } from "./compression.js";
import { errorFromAnswer } from "./connect-json-status.js";
import { endStreamFlag, streamAnswerKind } from "./connect-stream-status.js";
import type { EndpointTarget } from "./endpoint-target.js";
import { compressedFlag } from "./enveloped-messages.js";
import { fromJsonUnboxed } from "./from-json-unboxed.js";
import type { Http2ConnectionPool } from "./http2-connection-pool.js";
import { headersFromHttp2 } from "./http2-headers.js";
import { sendHttp2Stream } from "./http2-stream-exchange.js";
import { endOfStream, type Http2StreamProtocol, type StreamBody } from "./http2-stream-protocol.js";
import { toJsonBulk } from "./to-json-bulk.js";

const userAgent = "contextiq-clients/0.1 connect-json-http2";
/** connect's default for reading JSON: a field this client does not know yet is skipped. */
const jsonReadOptions = { ignoreUnknownFields: true };

/**
 * The streaming calls (server, client and bidirectional) of one endpoint over the Connect
 * protocol with JSON on HTTP/2: each on a stream of `pool`, whose origin may be an address of the
 * host `target.authority` names.
 */
export function createHttp2JsonStreamSender(
  pool: Http2ConnectionPool,
  target: EndpointTarget,
): (req: StreamRequest) => Promise<StreamResponse> {
  return (req) => sendHttp2Stream(pool, target, connectJsonStream, req);
}

/** Connect streaming with JSON: enveloped messages, then an end-stream message with the status. */
const connectJsonStream: Http2StreamProtocol = {
  writeHeaders(outgoing, compressing) {
    outgoing["content-type"] = "application/connect+json";
    outgoing["connect-protocol-version"] = "1";
    // Answers may come gzipped; requests go as they are (see requestEncoder).
    if (compressing) outgoing["connect-accept-encoding"] = gzipEncoding;
    outgoing["user-agent"] ??= userAgent;
  },
  serialize(method, message) {
    return Buffer.from(JSON.stringify(toJsonBulk(method.input, message as never)));
  },
  respond(method, headers, trailer, compressing) {
    const status = Number(headers[":status"]);
    const kind = streamAnswerKind(status, headers);
    if (kind instanceof ConnectError) return kind;
    if (kind === gzipEncoding && !compressing) {
      // The request offered no compression: the spec makes any encoding an internal error.
      return new ConnectError(
        `unsupported response encoding "${gzipEncoding}"`,
        Code.Internal,
        headersFromHttp2(headers),
      );
    }
    if (kind === "error") return { errorOf: (body) => errorFromAnswer(status, headers, body) };
    return new ConnectStreamBody(method, headers, trailer, kind === gzipEncoding);
  },
};

/** The messages of a Connect stream, and the error and trailers of its end-stream message. */
class ConnectStreamBody implements StreamBody {
  private ended = false;
  private error: ConnectError | undefined;

  constructor(
    private readonly method: DescMethodStreaming,
    private readonly headers: IncomingHttpHeaders,
    private readonly trailer: Headers,
    readonly gzip: boolean,
  ) {}

  decode(flags: number, data: Uint8Array): unknown {
    if (flags & endStreamFlag) {
      this.readEndStream(data);
      return endOfStream;
    }
    if (flags & ~compressedFlag) {
      throw new ConnectError(
        `protocol error: message flags 0x${flags.toString(16)}`,
        Code.Internal,
      );
    }
    try {
      const json = JSON.parse(
        Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString(),
      );
      return fromJsonUnboxed(this.method.output, json, jsonReadOptions);
    } catch (error) {
      throw ConnectError.from(error, Code.Internal);
    }
  }

  /** Never: the end-stream message ends the call, before the body does. */
  complete(): boolean {
    return false;
  }

  finish(): ConnectError | undefined {
    if (!this.ended) {
      return new ConnectError(
        "protocol error: the stream ended without its end-stream message",
        Code.Internal,
      );
    }
    return this.error;
  }

  /** The end-stream message's metadata are the trailers; its error, the call's. */
  private readEndStream(data: Uint8Array): void {
    this.ended = true;
    // Malformed JSON is UNKNOWN, as connect reads it.
    const { metadata, error } = endStreamFromJson(data);
    metadata.forEach((value, name) => {
      this.trailer.append(name, value);
    });
    if (error !== undefined) {
      // As for a unary error: the headers too, so that a pushback is found wherever it was put.
      headersFromHttp2(this.headers).forEach((value, name) => {
        if (!error.metadata.has(name)) error.metadata.append(name, value);
      });
      this.error = error;
    }
  }
}
