import { createHash } from "node:crypto";

/**
 * A UUID that depends only on `parts`: the SHA-256 of the parts joined by newlines, shaped as an
 * RFC 9562 UUID of version 8, the version for names hashed with other than MD5 or SHA-1 (version 5
 * means SHA-1). A worker sends it as a create's `requestId`, so that running the same work again
 * names the same create and the server stores it once.
 *
 * @internal
 */
export function deterministicUuid(...parts: readonly string[]): string {
  const bytes = createHash("sha256").update(parts.join("\n")).digest().subarray(0, 16);
  bytes.writeUInt8(((bytes[6] ?? 0) & 0x0f) | 0x80, 6);
  bytes.writeUInt8(((bytes[8] ?? 0) & 0x3f) | 0x80, 8);
  const hex = bytes.toString("hex");
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20, 32),
  ].join("-");
}
