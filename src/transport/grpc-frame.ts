import { Code, ConnectError } from "@connectrpc/connect";

/** Bytes of a gRPC message prefix: one flags byte, then the length as a big-endian uint32. */
export const prefixBytes = 5;
/** The prefix flag of a compressed message (gzip, as grpc-encoding names it). */
const compressedFlag = 0b1;

/**
 * One gRPC length-prefixed message around `message`, in a single buffer for a single write;
 * `compressed` sets the flag that says `message` is gzipped.
 */
export function encodeGrpcFrame(message: Uint8Array, compressed = false): Buffer {
  const frame = Buffer.allocUnsafe(prefixBytes + message.byteLength);
  frame[0] = compressed ? compressedFlag : 0;
  frame.writeUInt32BE(message.byteLength, 1);
  frame.set(message, prefixBytes);
  return frame;
}

/** Whether the message of a gRPC body, from the chunks it arrived in, has the compressed flag. */
export function isCompressedGrpcBody(chunks: readonly Buffer[]): boolean {
  return ((chunks[0]?.[0] ?? 0) & compressedFlag) !== 0;
}

/**
 * The one message of a unary response body, from the chunks it arrived in, as it came (still
 * compressed when its flag says so). The body must hold exactly one complete message, compressed
 * only when `compressionNegotiated`: anything else is a broken peer.
 */
export function decodeUnaryGrpcBody(
  chunks: readonly Buffer[],
  byteLength: number,
  compressionNegotiated = false,
): Uint8Array {
  const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, byteLength);
  if (body.byteLength === 0) {
    throw new ConnectError(
      "protocol error: missing output message for unary method",
      Code.Unimplemented,
    );
  }
  if (body.byteLength < prefixBytes) {
    throw new ConnectError(
      `protocol error: incomplete message prefix (${body.byteLength} bytes)`,
      Code.Internal,
    );
  }
  const flags = body[0] as number;
  const length = body.readUInt32BE(1);
  if (flags & compressedFlag && !compressionNegotiated) {
    throw new ConnectError(
      "protocol error: received a compressed message, but no compression was negotiated",
      Code.Internal,
    );
  }
  const end = prefixBytes + length;
  if (body.byteLength < end) {
    throw new ConnectError(
      `protocol error: message of ${length} bytes ends after ${body.byteLength - prefixBytes}`,
      Code.Internal,
    );
  }
  if (body.byteLength > end) {
    throw new ConnectError(
      "protocol error: received extra output message for unary method",
      Code.Unimplemented,
    );
  }
  return body.subarray(prefixBytes, end);
}
