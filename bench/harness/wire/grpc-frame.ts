/**
 * Frames a message as gRPC's length-prefixed message: a flag byte (0, not compressed), the length
 * as a big-endian uint32, then the bytes.
 */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}
