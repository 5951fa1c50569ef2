import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import type { DescMethodStreaming } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";

/** What {@link StreamBody.decode} returns for an envelope that ends the stream, not a message. */
export const endOfStream: unique symbol = Symbol("end of stream");

/** What one protocol sends on an HTTP/2 stream of messages, and how it reads the answer. */
export interface Http2StreamProtocol {
  /**
   * Sets the protocol's own request headers over the caller's. `compressing`: the endpoint uses
   * compression (`compressMinBytes` is set), so the headers offer gzip as an encoding the answer
   * may use; request messages go uncompressed (see requestEncoder).
   */
  writeHeaders(outgoing: OutgoingHttpHeaders, compressing: boolean): void;
  /** The bytes of one request message. Throws what keeps it from being sent. */
  serialize(method: DescMethodStreaming, message: unknown): Uint8Array;
  /**
   * What the response headers say: the error they already tell (an HTTP status, a foreign content
   * type, an unknown encoding, a gRPC trailers-only status), an error to be read from the body, or
   * how to read the stream of messages. `trailer` is the response's trailer, for `finish` to fill.
   * `compressing` as for writeHeaders: gzip is an encoding the answer may use only when true.
   */
  respond(
    method: DescMethodStreaming,
    headers: IncomingHttpHeaders,
    trailer: Headers,
    compressing: boolean,
  ): ConnectError | ErrorInBody | StreamBody;
}

/** A response whose body holds its error, not messages (a Connect error before streaming). */
export interface ErrorInBody {
  /** The error, of the whole body as text. */
  errorOf(body: string): ConnectError;
}

/** How the messages of one response are read, once their envelopes are cut out of the body. */
export interface StreamBody {
  /** Whether messages flagged compressed are gzip; when false such a message is an error. */
  readonly gzip: boolean;
  /**
   * The message of one envelope, whose data is already decompressed, or {@link endOfStream} for an
   * envelope that ends the stream (Connect's end-stream message). Throws what the envelope tells
   * (a malformed message, an unknown flag).
   */
  decode(flags: number, data: Uint8Array): unknown;
  /**
   * Whether a body that ended with these HTTP/2 trailers (if any came) holds the call's end: gRPC's
   * status, in the trailers or the headers of a trailers-only response. When false, the stream's
   * close says whether it was reset or just ended short.
   */
  complete(trailers: IncomingHttpHeaders | undefined): boolean;
  /**
   * The call's end, after every message was read: the error it ended with, if any. `trailers` are
   * the HTTP/2 trailers, if any came. Fills the response's trailer.
   */
  finish(trailers: IncomingHttpHeaders | undefined): ConnectError | undefined;
}
