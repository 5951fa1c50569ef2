import { Code, ConnectError } from "@connectrpc/connect";

/** Bytes of a gRPC message prefix: one flags byte, then the length as a big-endian uint32. */
export const prefixBytes = 5;
/** The prefix flag of a compressed message. This transport asks for none, so it accepts none. */
const compressedFlag = 0b1;

/** One gRPC length-prefixed message around `message`, in a single buffer for a single write. */
export function encodeGrpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(prefixBytes + message.byteLength);
  frame[0] = 0;
  frame.writeUInt32BE(message.byteLength, 1);
  frame.set(message, prefixBytes);
  return frame;
}

/**
 * The one message of a unary response body, from the chunks it arrived in. The body must hold
 * exactly one complete, uncompressed message: anything else is a broken peer.
 */
export function decodeUnaryGrpcBody(chunks: readonly Buffer[], byteLength: number): Uint8Array {
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
  if (flags & compressedFlag) {
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
