/**
 * The compression the services speak: gzip, as every gRPC and Connect peer does, through the same
 * helpers as the clients (level 1, see transport/compression.ts).
 */
import type { Compression } from "@connectrpc/connect/protocol";
import { gunzipWithin, gzip, gzipEncoding } from "../../transport/compression.js";

/**
 * gzip for connect-node's `acceptCompression`. connect-node hands every compressed request
 * message to `decompress` with the server's readMaxBytes, on every protocol (Connect unary and
 * GET, its streams, gRPC and gRPC-Web envelopes), after reading at most readMaxBytes of it
 * compressed: zlib stops at the limit, so a small body that would inflate to gigabytes costs the
 * limit at most and is RESOURCE_EXHAUSTED. A body that is not gzip, or is cut short, is INTERNAL on
 * every protocol, as gRPC's status codes say of a message that "could not decompress" (and as
 * connect-es answers a message protobuf cannot parse); connect-node's own gzip says
 * INVALID_ARGUMENT for the first and INTERNAL for the second.
 */
export const serviceGzip: Compression = {
  name: gzipEncoding,
  compress: async (bytes) => ownBuffer(await gzip(bytes)),
  decompress: async (bytes, readMaxBytes) =>
    ownBuffer(await gunzipWithin(bytes, readMaxBytes, "request message")),
};

/** `bytes` as a Uint8Array over an ArrayBuffer, the type connect's Compression returns. */
function ownBuffer(bytes: Buffer): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer
    ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : new Uint8Array(bytes);
}
