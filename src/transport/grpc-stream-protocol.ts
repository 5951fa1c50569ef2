import type { IncomingHttpHeaders } from "node:http2";
import type { DescMethodStreaming } from "@bufbuild/protobuf";
import { Code, ConnectError, type StreamRequest, type StreamResponse } from "@connectrpc/connect";
import { gzipEncoding } from "./compression.js";
import type { EndpointTarget } from "./endpoint-target.js";
import { compressedFlag } from "./enveloped-messages.js";
import { fromBinaryUnboxed } from "./from-binary-unboxed.js";
import { errorFromGrpcStatus, errorFromHttpResponse } from "./grpc-status.js";
import type { Http2ConnectionPool } from "./http2-connection-pool.js";
import { headersFromHttp2 } from "./http2-headers.js";
import { sendHttp2Stream } from "./http2-stream-exchange.js";
import type { Http2StreamProtocol, StreamBody } from "./http2-stream-protocol.js";
import { toBinaryBulk } from "./to-binary-bulk.js";

const userAgent = "contextiq-clients/0.1 grpc-node-http2";

/**
 * The streaming calls (server, client and bidirectional) of one endpoint over gRPC: each on a
 * stream of `pool`, whose origin may be an address of the host `target.authority` names.
 */
export function createGrpcStreamSender(
  pool: Http2ConnectionPool,
  target: EndpointTarget,
): (req: StreamRequest) => Promise<StreamResponse> {
  return (req) => sendHttp2Stream(pool, target, grpcStream, req);
}

/** gRPC on a stream: length-prefixed protobuf messages, the status in the trailers. */
const grpcStream: Http2StreamProtocol = {
  writeHeaders(outgoing, compressing) {
    outgoing["content-type"] = "application/grpc+proto";
    outgoing.te = "trailers";
    // Answers may come gzipped; requests go as they are (see requestEncoder).
    if (compressing) outgoing["grpc-accept-encoding"] = gzipEncoding;
    outgoing["user-agent"] ??= userAgent;
  },
  serialize(method, message) {
    return toBinaryBulk(method.input, message as never);
  },
  respond(method, headers, trailer, compressing) {
    const gzip = compressing && headers["grpc-encoding"] === gzipEncoding;
    // Any other encoding (gzip too, unless offered) is refused there, as the protocol says.
    const error = errorFromHttpResponse(
      gzip ? { ...headers, "grpc-encoding": undefined } : headers,
    );
    if (error) return error;
    // A trailers-only response: its status is in these headers, and no message follows.
    if (headers["grpc-status"] !== undefined) {
      const status = errorFromGrpcStatus(headers, headers);
      if (status) return status;
    }
    return new GrpcStreamBody(method, headers, trailer, gzip);
  },
};

/** The messages of a gRPC response, and its status from the trailers once they ended. */
class GrpcStreamBody implements StreamBody {
  constructor(
    private readonly method: DescMethodStreaming,
    private readonly headers: IncomingHttpHeaders,
    private readonly trailer: Headers,
    readonly gzip: boolean,
  ) {}

  decode(flags: number, data: Uint8Array): unknown {
    if (flags & ~compressedFlag) {
      throw new ConnectError(
        `protocol error: message flags 0x${flags.toString(16)}`,
        Code.Internal,
      );
    }
    try {
      return fromBinaryUnboxed(this.method.output, data);
    } catch (error) {
      throw ConnectError.from(error, Code.Internal);
    }
  }

  complete(trailers: IncomingHttpHeaders | undefined): boolean {
    return this.statusIn(trailers) !== undefined;
  }

  finish(trailers: IncomingHttpHeaders | undefined): ConnectError | undefined {
    // Trailers without a status are still the trailers, and the error names what they lack.
    const status = this.statusIn(trailers) ?? trailers;
    headersFromHttp2(status).forEach((value, name) => {
      this.trailer.append(name, value);
    });
    return errorFromGrpcStatus(status ?? {}, this.headers);
  }

  /** Where the status is: the trailers, or the headers of a trailers-only response. */
  private statusIn(trailers: IncomingHttpHeaders | undefined): IncomingHttpHeaders | undefined {
    if (trailers?.["grpc-status"] !== undefined) return trailers;
    return this.headers["grpc-status"] !== undefined ? this.headers : undefined;
  }
}
